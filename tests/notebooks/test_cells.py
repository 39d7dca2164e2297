"""A notebook as a virtual script: magics neutralised line for line, places mapped to cells, cures spliced back."""

from __future__ import annotations

import json

import pytest

from modeldoctor.notebook import NotebookError, parse_notebook, virtual_script
from modeldoctor.notebook.edit import cell_diff, with_sources
from modeldoctor.notebook.magics import neutralise
from modeldoctor.notebook.virtual import build
from notebooks.helpers import STATIC, code, markdown, notebook, write


@pytest.mark.parametrize("line, python", [
    ("%matplotlib inline", "pass"),
    ("!pip install keras", "pass"),
    ("    !echo \"it's\"", "    pass"),
    ("files = !ls", "files = None"),
    ("a, b = %sx echo", "a, b = None"),
    ("model.fit?", "pass"),
    ("??keras.Model", "pass"),
    ("y = 3  # why?", "y = 3  # why?"),
    ("x = 5 % 2", "x = 5 % 2"),
])
def test_one_line_of_ipython_becomes_one_line_of_python(line, python):
    (out,) = neutralise(line)
    assert out.text == python and out.original == line


def test_a_percent_inside_brackets_or_a_string_is_python():
    lines = neutralise('x = (1\n     % 2)\ns = """\n%not a magic\n"""')
    assert [line.text for line in lines] == ["x = (1", "     % 2)", 's = """', "%not a magic", '"""']


def test_time_keeps_the_statement_and_its_column_shift():
    (line,) = neutralise("%time history = model.fit(x, y)")
    assert line.text == "history = model.fit(x, y)" and line.prefix == "%time "


def test_a_cell_magic_with_a_body_that_is_not_python_is_blanked_and_time_keeps_its_body():
    assert [line.text for line in neutralise("%%bash\necho hi\nls")] == ["", "", ""]
    assert [line.text for line in neutralise("%%time\nx = 1")] == ["", "x = 1"]


def test_a_continued_magic_is_neutralised_to_its_end():
    assert [line.text for line in neutralise("!pip install a \\\n    b\nx = 1")] == ["pass", "pass", "x = 1"]


def test_virtual_lines_map_to_cells_numbered_as_editors_show_them(tmp_path):
    script = virtual_script(write(tmp_path))
    compile(script.source, "analysis.ipynb", "exec")
    lines = script.source.splitlines()
    fit = lines.index("model.fit(x, y, epochs=3, verbose=0)") + 1
    place = script.locate(fit, 0)
    assert (place.cell, place.line, place.column) == (5, 2, 0)  # the markdown cell counts: it is cell 1
    assert script.locate(1) is None  # a marker line belongs to no cell


def test_a_time_prefix_shifts_the_column_back():
    nb = parse_notebook(notebook(code("%time h = model.fit(x)")), "t.ipynb")
    script = build(nb)
    assert script.locate(2, 4).column == 4 + len("%time ")


def test_a_cure_comes_back_into_its_cell_with_the_magics_it_did_not_touch(tmp_path):
    script = virtual_script(write(tmp_path))
    cured = script.source.replace("epochs=3, verbose=0)", "epochs=3, verbose=0, validation_split=0.2)")
    cured = "import os\n" + cured  # a cure's new import, above the first cell's marker
    changed = script.cure(cured)
    assert changed == {2: "import os\n%matplotlib inline\nimport keras\nimport numpy as np",
                       5: "!nvidia-smi\nmodel.fit(x, y, epochs=3, verbose=0, validation_split=0.2)"}


def test_a_cure_on_a_time_line_keeps_the_magic():
    script = build(parse_notebook(notebook(code("%time h = model.fit(x)")), "t.ipynb"))
    assert script.cure(script.source.replace("fit(x)", "fit(x, epochs=2)")) == {1: "%time h = model.fit(x, epochs=2)"}


def test_a_cure_that_would_edit_a_magic_or_move_a_cell_boundary_is_refused(tmp_path):
    script = virtual_script(write(tmp_path))
    with pytest.raises(NotebookError, match="IPython syntax"):
        script.cure(script.source.replace("pass\nmodel.fit", "import x\nmodel.fit"))
    with pytest.raises(NotebookError, match="cell boundary"):
        script.cure(script.source.replace("# modeldoctor: cell 4\n", ""))


def test_only_the_cured_sources_change_in_the_file(tmp_path):
    text = STATIC
    new = with_sources(text, {5: "!nvidia-smi\nmodel.fit(x, y, epochs=3, verbose=0, validation_split=0.2)"}, "a.ipynb")
    before, after = json.loads(text), json.loads(new)
    assert after["cells"][4]["source"] == ["!nvidia-smi\n", "model.fit(x, y, epochs=3, verbose=0, validation_split=0.2)"]
    after["cells"][4]["source"] = before["cells"][4]["source"]
    assert after == before
    # byte for byte outside the one value: the same text once that value is put back
    assert with_sources(new, {5: "!nvidia-smi\nmodel.fit(x, y, epochs=3, verbose=0)"}, "a.ipynb") == text


def test_a_source_kept_as_one_string_stays_one_string():
    data = json.loads(notebook(code("x = 1")))
    data["cells"][0]["source"] = "x = 1"
    text = json.dumps(data)
    assert json.loads(with_sources(text, {1: "x = 2"}, "a.ipynb"))["cells"][0]["source"] == "x = 2"


def test_the_cured_notebook_validates_with_nbformat(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    new = with_sources(STATIC, {3: "x = 1\ny = 2"}, "a.ipynb")
    nbformat.validate(nbformat.reads(new, as_version=4))


def test_the_diff_is_one_hunk_per_cell():
    diff = cell_diff({5: "a\nb"}, {5: "a\nc"}, "analysis.ipynb")
    assert diff.startswith("--- a/analysis.ipynb:cell 5\n+++ b/analysis.ipynb:cell 5\n") and "-b\n+c\n" in diff


def test_what_is_not_a_python_notebook_is_a_clear_error():
    with pytest.raises(NotebookError, match="not a notebook"):
        parse_notebook("{", "x.ipynb")
    r = json.loads(notebook(markdown("# R")))
    r["metadata"] = {"kernelspec": {"language": "R"}}
    with pytest.raises(NotebookError, match="a r notebook"):
        parse_notebook(json.dumps(r), "x.ipynb")


def test_cells_that_end_with_a_newline_keep_exactly_it():
    data = json.loads(notebook(code("a = 1\n"), code("b = 2\n")))
    script = build(parse_notebook(json.dumps(data), "t.ipynb"))
    assert script.cure(script.source.replace("a = 1", "a = 3")) == {1: "a = 3\n"}
    assert script.cure(script.source.replace("b = 2", "b = 3")) == {2: "b = 3\n"}


def test_where_a_fit_stopped_names_its_cell(tmp_path):
    from modeldoctor.notebook.locations import short_place
    from modeldoctor.record import Location

    path = write(tmp_path)
    fit = virtual_script(path).source.splitlines().index("model.fit(x, y, epochs=3, verbose=0)") + 1
    assert short_place(Location(str(path), fit, 0)) == "analysis.ipynb:cell 5:2"
    assert short_place(Location("/x/train.py", 21, 0)) == "train.py:21"
