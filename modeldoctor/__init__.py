"""modeldoctor: run a Keras training script, diagnose what is wrong, and cure the source."""

__version__ = "0.1.0"
