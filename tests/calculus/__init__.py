"""Tests of lib.calculus."""
