"""Tests of WSGI frameworks (Flask, Django, Bottle) traced through xraysink."""
