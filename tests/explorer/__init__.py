"""Tests of lib.explorer."""
