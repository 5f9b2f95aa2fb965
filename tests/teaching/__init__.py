"""Tests of lib.teaching."""
