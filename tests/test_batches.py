"""The sample batch is taken from every input pipeline without disturbing it; what cannot give one says why.

Pure: NumPy and plain Python stand-ins for the pipelines (the real tf.data, PyDataset,
generator and DataLoader runs are in test_backends.py).
"""

from __future__ import annotations

import types

import numpy as np

from modeldoctor.probe.batches import SAMPLE_ROWS, peek


def test_arrays_give_their_first_rows_and_are_passed_on_untouched():
    x, y = np.arange(1000.0).reshape(500, 2), np.arange(500)
    looked = peek(x, y)
    assert looked.batch is not None and looked.batch.source == "array"
    assert looked.batch.x.shape == (SAMPLE_ROWS, 2) and looked.batch.y[-1] == SAMPLE_ROWS - 1
    assert looked.data is x


def test_named_inputs_give_a_dict_of_rows():
    x = {"a": np.zeros((300, 3)), "b": np.ones((300, 1))}
    looked = peek(x, np.zeros(300))
    assert looked.batch is not None
    assert {k: v.shape for k, v in looked.batch.x.items()} == {"a": (SAMPLE_ROWS, 3), "b": (SAMPLE_ROWS, 1)}


def test_a_generator_is_peeked_and_put_back_whole_as_a_generator():
    served = []

    def batches():
        for i in range(5):
            served.append(i)
            yield np.full((4, 2), i), np.full(4, i)

    looked = peek(batches(), None)
    assert looked.batch is not None and looked.batch.source == "generator"
    assert looked.batch.x[0, 0] == 0 and served == [0]
    assert isinstance(looked.data, types.GeneratorType)  # Keras recognises generators by type
    assert [int(x[0, 0]) for x, _ in looked.data] == [0, 1, 2, 3, 4]
    assert served == [0, 1, 2, 3, 4]  # each batch handed out once


def test_an_empty_generator_says_so():
    looked = peek((b for b in []), None)
    assert looked.batch is None and looked.reason == "the generator passed to fit yields nothing"
    assert list(looked.data) == []


def test_a_sequence_gives_item_zero_by_index():
    class Batches:  # what keras.utils.PyDataset looks like to the probe
        reads: list[int] = []

        def __len__(self):
            return 3

        def __getitem__(self, i):
            self.reads.append(i)
            return np.full((8, 2), i), np.full(8, i)

    data = Batches()
    looked = peek(data, None)
    assert looked.batch is not None and looked.batch.source == "pydataset" and data.reads == [0]
    assert looked.data is data and looked.batch.y.shape == (8,)


def test_inputs_only_give_a_batch_without_targets():
    looked = peek((np.ones((4, 3)) for _ in range(2)), None)
    assert looked.batch is not None and looked.batch.y is None


def test_what_cannot_give_a_batch_is_named_with_the_reason():
    class Stream:
        def __iter__(self):
            return iter([])

    looked = peek(Stream(), None)
    assert looked.batch is None
    assert looked.reason == "the probe cannot take a batch from a test_batches.Stream without consuming it"


def test_a_pipeline_that_fails_to_read_is_a_reason_not_a_crash():
    class Broken:
        def __len__(self):
            return 1

        def __getitem__(self, i):
            raise OSError("disk gone")

    looked = peek(Broken(), None)
    assert looked.batch is None and "failed: OSError: disk gone" in (looked.reason or "")
