"""ASGI-like server frameworks: Starlette/FastAPI and aiohttp."""
