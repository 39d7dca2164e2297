"""`# modeldoctor: ignore[...]` silences findings on its line or its statement, and nothing else."""

from __future__ import annotations

import textwrap

from modeldoctor.ftypes import Family, Finding, Severity
from modeldoctor.record import Location
import dataclasses

from modeldoctor.suppress import apply_suppressions, kept

SOURCE = textwrap.dedent('''\
    import keras
    model = keras.Sequential([
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.8),
        keras.layers.Dense(10, activation="softmax"),
    ])  # modeldoctor: ignore[MD405]
    model.compile(optimizer="adam", loss="binary_crossentropy")  # modeldoctor: ignore[md112, MD999]
    model.fit(x, y, epochs=500)  # noqa: E501  # modeldoctor: ignore
    opt = keras.optimizers.Adam(learning_rate=5.0)  # modeldoctor: ignore[MD112]
    text = "# modeldoctor: ignore"; keras.layers.Dropout(0.9)
    def build(rate=0.9):  # modeldoctor: ignore[high-dropout-rate]
        return keras.layers.Dropout(rate)
''')


def finding(code: str, line: int, name: str = "x", path: str = "train.py") -> Finding:
    return Finding(name=name, family=Family.LEARNING, severity=Severity.WARNING, confidence=1.0, message="m",
                   location=Location(path, line, 4), code=code)


def run(*findings: Finding, source: str = SOURCE) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    reads: list[str] = []

    def read(path: str) -> str:
        reads.append(path)
        return source

    kept, suppressed = apply_suppressions(findings, read)
    assert len(reads) == len({f.location.path for f in findings if f.location})  # cached per file
    return [(f.code, f.location.line) for f in kept], [(f.code, f.location.line) for f in suppressed]


def test_a_comment_on_any_line_of_a_multi_line_statement_covers_the_whole_statement() -> None:
    kept, suppressed = run(finding("MD405", 4), finding("MD406", 4), finding("MD405", 2))
    assert suppressed == [("MD405", 4), ("MD405", 2)]
    assert kept == [("MD406", 4)]


def test_codes_are_case_insensitive_and_a_list_may_name_several() -> None:
    assert run(finding("MD112", 7))[1] == [("MD112", 7)]


def test_a_bare_ignore_silences_every_code_even_after_another_tool_s_comment() -> None:
    kept, suppressed = run(finding("MD403", 8), finding("MD404", 8))
    assert kept == [] and len(suppressed) == 2


def test_a_wrong_code_does_not_suppress() -> None:
    assert run(finding("MD402", 9)) == ([("MD402", 9)], [])


def test_a_directive_inside_a_string_is_not_a_comment() -> None:
    assert run(finding("MD405", 10)) == ([("MD405", 10)], [])


def test_a_compound_statement_header_covers_its_own_lines_not_its_body() -> None:
    kept, suppressed = run(finding("MD405", 11, name="high-dropout-rate"), finding("MD405", 12, name="high-dropout-rate"))
    assert suppressed == [("MD405", 11)] and kept == [("MD405", 12)]


def test_findings_without_location_or_unreadable_files_are_kept() -> None:
    no_location = Finding(name="x", family=Family.LEARNING, severity=Severity.INFO, confidence=1.0, message="m",
                          code="MD101")

    def missing(path: str) -> str:
        raise FileNotFoundError(path)

    kept, suppressed = apply_suppressions([no_location, finding("MD405", 4)], missing)
    assert len(kept) == 2 and suppressed == []


def test_a_file_that_does_not_parse_still_honours_same_line_comments() -> None:
    broken = "import keras\nx = keras.layers.Dropout(0.9)  # modeldoctor: ignore[MD405]\ny = (\n"
    assert run(finding("MD405", 2), finding("MD405", 3), source=broken) == ([("MD405", 3)], [("MD405", 2)])


def test_a_finding_whose_every_cause_was_left_out_becomes_primary_and_comes_first() -> None:
    """--select MD101 on a run whose NaN the too-high rate causes: the NaN is then what fix treats. Before, it stayed
    secondary, and fix --verify, which treats it, found no cure prescribed for it (a traceback)."""
    rate = finding("MD109", 9, "learning-rate-too-high")
    nan = dataclasses.replace(finding("MD101", 10, "nan-loss"), primary=False,
                              caused_by=("learning-rate-too-high",))
    gap = dataclasses.replace(finding("MD202", 10, "generalization-gap"), primary=False, caused_by=("nan-loss",))
    everything = kept([rate, nan, gap], None, None, lambda path: "")
    assert [(f.code, f.primary) for f in everything] == [("MD109", True), ("MD101", False), ("MD202", False)]
    selected = kept([rate, gap, nan], "MD101,MD202", None, lambda path: "")
    assert [(f.code, f.primary, f.caused_by) for f in selected] == [
        ("MD101", True, ("learning-rate-too-high",)), ("MD202", False, ("nan-loss",))]
    assert [f.code for f in kept([rate, nan], None, "MD109", lambda path: "") if f.primary] == ["MD101"]
