"""Tests of the local trace viewer (xraysink.viewer)."""
