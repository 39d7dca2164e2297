"""Detectors, one small function per finding, grouped by what they read."""
