"""clip_and_lower_rate: clipnorm and a lower learning rate on the same optimizer, resolved from the run's rate."""

from __future__ import annotations

import functools
from textwrap import dedent

from records import fit

from modeldoctor.transforms import available

import harness

SPEC = available()["clip_and_lower_rate"]
apply = functools.partial(harness.apply, SPEC)


def test_clips_and_lowers_the_rate_of_an_optimizer_call():
    before = dedent('''\
        import keras

        optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        model.compile(optimizer=optimizer, loss="mse")
    ''')
    outcome = apply(before, learning_rate=0.01, clipnorm=0.5)
    assert outcome.source == before.replace("SGD(learning_rate=0.1, momentum=0.9)",
                                            "SGD(learning_rate=0.01, momentum=0.9, clipnorm=0.5)")


def test_the_factor_is_resolved_from_the_recorded_rate():
    record = fit([1.0, 2.0])  # Adam at 0.001
    assert SPEC.absolute({"clipnorm": 1.0, "factor": 0.1}, record, None) == {"clipnorm": 1.0, "learning_rate": 0.0001}


def test_declines_an_optimizer_that_already_clips_another_way():
    before = 'import keras\n\nmodel.compile(optimizer=keras.optimizers.Adam(clipvalue=0.5), loss="mse")\n'
    assert "Keras takes only one kind of clipping" in harness.declined(SPEC, before, learning_rate=0.0001)
