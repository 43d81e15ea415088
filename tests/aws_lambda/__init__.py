"""Tests of xraysink in a simulated AWS Lambda runtime."""
