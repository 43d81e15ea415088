"""Tests of xraysink.emitters."""
