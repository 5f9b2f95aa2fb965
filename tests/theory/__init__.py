"""Tests of lib.theory."""
