"""The package version, importable at no cost by every module."""

__version__: str = "2.0.0a1"
