"""Marker discipline of the test suite, seen from a child process (see tests/conftest.py).

conftest puts this folder on PYTHONPATH for tests not marked `slow`, with
MODELDOCTOR_TEST_TRAINING_MARK naming a file. Any Python child they start
(the CLI, the probe under it, a script) that imports a deep-learning framework
writes that file, and the test fails: it trains (TensorFlow alone starts in
about 5 s), so it belongs to the slow suite. Ray counts too: a local Ray
starts a dozen processes in about 5 s. Nothing is blocked or changed;
without the variable this file does nothing.
"""

import os
import sys

_MARK = os.environ.get("MODELDOCTOR_TEST_TRAINING_MARK")
_HEAVY = frozenset({"tensorflow", "keras", "tf_keras", "jax", "torch", "ray"})


class _Watch:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if path is None and name in _HEAVY:
            try:
                with open(_MARK, "a", encoding="utf-8") as mark:
                    mark.write(f"{name} imported by: {' '.join(sys.argv)}\n")
            except OSError:
                pass
            sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not _Watch]
        # the import goes on as usual


if _MARK:
    sys.meta_path.insert(0, _Watch)
