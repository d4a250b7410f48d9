"""Helpers shared by several test modules (strategies, builders); tests import them from here,
never from another test module."""
