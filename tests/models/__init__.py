"""Tests of lib.models."""
