"""scale_targets: a regression trained on scaled targets, its predictions scaled back, or a reason why not."""

from __future__ import annotations

import functools
from textwrap import dedent

import pytest
from records import fit

from modeldoctor.record import LabelStats, LossInfo
from modeldoctor.transforms import available

import harness

SPEC = available()["scale_targets"]
apply = functools.partial(harness.apply, SPEC)
declined = functools.partial(harness.declined, SPEC)

SCRIPT = dedent('''\
    import keras

    model.compile(optimizer="adam", loss="mse")
    model.fit(x, prices, epochs=8, validation_data=(x_val, prices_val))
    estimate = model.predict(x_new)[:, 0]
    other.predict(x_new)
''')


def test_scales_fit_and_validation_targets_and_scales_the_models_predictions_back():
    outcome = apply(SCRIPT)
    assert outcome.source == dedent('''\
        import keras

        model.compile(optimizer="adam", loss="mse")
        prices_mean, prices_scale = prices.mean(axis=0), prices.std(axis=0)
        model.fit(x, (prices - prices_mean) / prices_scale, epochs=8, validation_data=(x_val, (prices_val - prices_mean) / prices_scale))
        estimate = (model.predict(x_new) * prices_scale + prices_mean)[:, 0]
        other.predict(x_new)
    ''')
    assert outcome.edits == ("line 4: trained model.fit on the targets prices scaled to zero mean and unit spread; "
                             "its validation targets prices_val too; scaled the predictions of line(s) 5 back to the "
                             "targets' units",)


@pytest.mark.parametrize("change, reason", [
    (("x, prices,", "dataset,"), "fit is given no y (a dataset or generator carries the targets)"),
    (("x, prices,", "x, load_prices(),"), "fit's targets `load_prices()` are not a name (or a slice or attribute"),
    (("(x_val, prices_val)", "val_ds"), "validation_data `val_ds` is not an (x, y) tuple written in the call"),
    (("other.predict(x_new)", "model.evaluate(x_val, prices_val)"), "model.evaluate at line 6 reports the loss"),
    (("import keras", "import keras\nprices_mean = 0"), "the name prices_mean is already used in this file"),
])
def test_declines_where_scaling_cannot_be_faithful(change, reason):
    assert reason in declined(SCRIPT.replace(*change))


def test_with_a_run_only_regression_targets_far_from_unit_scale_are_scaled():
    def labels(mean: float, std: float) -> LabelStats:
        return LabelStats(shape=[100, 1], dtype="float32", min=0, max=1, integer_valued=False, one_hot=False,
                          mean=mean, std=std)

    far = fit([1.0, 2.0], labels=labels(20000.0, 5000.0), loss_name="mse")
    assert SPEC.absolute({}, far, None) == {}
    with pytest.raises(LookupError, match=r"near unit scale already \(mean 0.5, std 1.2\)"):
        SPEC.absolute({}, fit([1.0], labels=labels(0.5, 1.2), loss_name="mse"), None)
    classified = fit([1.0], labels=labels(3.0, 20.0))
    classified.model.loss = LossInfo("sparse_categorical_crossentropy")
    with pytest.raises(LookupError, match="classification loss"):
        SPEC.absolute({}, classified, None)


def test_a_slice_of_the_targets_is_scaled_with_its_own_statistics():
    sliced = SCRIPT.replace("x, prices,", "x[:1600], prices[:1600],")
    outcome = apply(sliced)
    assert "prices_mean, prices_scale = prices[:1600].mean(axis=0), prices[:1600].std(axis=0)\n" in outcome.source
    assert "model.fit(x[:1600], (prices[:1600] - prices_mean) / prices_scale, epochs=8" in outcome.source
