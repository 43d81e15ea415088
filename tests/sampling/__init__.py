"""Tests of xraysink.sampling."""
