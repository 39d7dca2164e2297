"""The probe: code that runs inside the user's process and writes the run record.

Only this package may import TensorFlow or Keras, and only lazily, once the
user's script has imported Keras itself (so `KERAS_BACKEND` is respected).
"""
