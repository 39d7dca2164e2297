"""From findings to prescriptions: which cure, with which parameters, on which nodes.

The rule base says which transform treats a finding; the run record says
where in the source the layers, optimizer, `compile` and `fit` were written,
and the numbers (current learning rate, batch size, label encoding) from which
each transform's own `resolve` hook turns a rule's relative parameters into
absolute, idempotent ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modeldoctor.ftypes import Applicability, Cure, Finding, Prescription, Rule, Target
from modeldoctor.record import FitRecord, LayerInfo, Location, RunRecord
from modeldoctor.rules import Catalog
from modeldoctor.vocabulary import SATURATING  # flat tails: derivatives near zero


def _target(kind: str, location: Location | None, layer: LayerInfo | None = None) -> Target | None:
    if location is None:
        return None
    return Target(kind=kind, line=location.line, column=location.column,
                  name=layer.name if layer else None, class_name=layer.class_name if layer else None)


def _hidden_layers(fit: FitRecord) -> list[LayerInfo]:
    sized = [layer for layer in fit.model.layers if layer.units is not None or layer.filters is not None]
    return sized[:-1]


def _layers_for(finding: Finding, fit: FitRecord) -> list[LayerInfo]:
    """The layers a finding names, or every hidden layer for model-wide findings.

    Vanishing gradients are a property of the whole stack, but the layers to change are the
    ones whose activation squashes the gradient; a linear or ReLU layer among them is left alone.
    """
    named = finding.evidence.get("layers") or ([finding.layer] if finding.layer else [])
    by_name = {layer.name: layer for layer in fit.model.layers}
    chosen = [by_name[n] for n in named if n in by_name]
    if finding.name == "vanishing-gradients":
        hidden = _hidden_layers(fit)
        return [layer for layer in hidden if layer.activation in SATURATING] or hidden
    return chosen or _hidden_layers(fit)


def targets_for(kinds: Sequence[str], finding: Finding, fit: FitRecord | None) -> tuple[Target, ...]:
    """Where the transform should edit; empty means "find it by pattern" (no run record)."""
    if fit is None:
        return ()
    model, found = fit.model, []
    for kind in kinds:
        if kind == "layer":
            found += [_target("layer", layer.location, layer) for layer in _layers_for(finding, fit)]
        elif kind == "optimizer":
            optimizer = model.optimizer
            if optimizer is not None and not optimizer.from_string:
                found.append(_target("optimizer", optimizer.location))
            else:
                found.append(_target("compile", model.compile_location))
        elif kind == "compile":
            found.append(_target("compile", model.compile_location))
        elif kind == "fit":
            found.append(_target("fit", fit.location))
        elif kind == "model":
            found.append(_target("model", model.location))
    return tuple(dict.fromkeys(t for t in found if t is not None))


def allowed(cure: Cure, unsafe: bool) -> bool:
    if cure.applicability is Applicability.DISPLAY_ONLY:
        return False
    return unsafe or cure.applicability is Applicability.SAFE


def prescribe(
    findings: Sequence[Finding],
    catalog: Catalog,
    records: Sequence[RunRecord],
    transforms: Mapping[str, Any],
    unsafe: bool,
    choice: Mapping[str, int] | None = None,
) -> list[Prescription]:
    """One prescription per primary finding: its rule's first cure this run allows (or `choice[name]`).

    Supporting findings (caused by another) are not treated on their own:
    treating the cause is the cure. A cure that cannot be prescribed is kept
    with `declined` set, so the report can say why.
    """
    fits = {fit.index: fit for fit in records[0].fits} if records else {}
    prescriptions = []
    by_pattern: set[tuple[str, int]] = set()  # a cure that finds its sites by pattern edits them all at once
    for finding in findings:
        if not finding.primary:
            continue
        rule: Rule | None = catalog.by_code(finding.code)
        if rule is None or not rule.cures:
            continue
        fit = fits.get(finding.fit)
        indices = [choice[finding.name]] if choice and finding.name in choice else range(len(rule.cures))
        candidates = [rule.cures[i] for i in indices if i < len(rule.cures)]
        cure = next((c for c in candidates if allowed(c, unsafe)), candidates[0] if candidates else None)
        if cure is None:
            continue
        if fit is None:
            if (rule.code, rule.cures.index(cure)) in by_pattern:
                continue
            by_pattern.add((rule.code, rule.cures.index(cure)))
        declined = None
        params: dict[str, Any] = {}
        targets: tuple[Target, ...] = ()
        if cure.applicability is Applicability.DISPLAY_ONLY:
            declined = "advice only: " + cure.rationale
        elif not allowed(cure, unsafe):
            declined = "unsafe fix: changes training; pass --unsafe-fixes to apply it"
        else:
            spec = transforms.get(cure.transform or "")
            if spec is None:
                declined = f"unknown transform {cure.transform!r}"
            else:
                try:  # the transform's own hook makes relative parameters absolute, from this run
                    params = spec.absolute(cure.params, fit, finding)
                except LookupError as exc:
                    declined = str(exc)
                targets = targets_for(spec.target_kinds, finding, fit)
        prescriptions.append(Prescription(finding=finding, rule=rule, cure=cure, params=params,
                                          targets=targets, declined=declined))
    return prescriptions
