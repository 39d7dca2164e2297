"""A real Jupyter kernel (nbclient + ipykernel) runs a notebook that uses `Doctor()` and `%load_ext modeldoctor`.

The finding must be in the cell's own output, as text (terminal front ends,
`jupyter nbconvert --to script`) and as HTML in a sandboxed iframe (Jupyter,
VS Code): what the user sees after `fit`.
"""

from __future__ import annotations

import html
import os

import pytest

from conftest import FIXTURES, ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = FIXTURES / "notebooks" / "doctor_in_kernel.ipynb"  # Doctor() in cell 3 and 4, %load_ext in cell 5


def displays(cell) -> list[dict[str, str]]:
    return [output["data"] for output in cell.outputs if output["output_type"] == "display_data"]


def stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stdout")


@pytest.mark.slow
def test_doctor_callback_and_load_ext_show_the_finding_in_the_cell_output(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    monkeypatch.setenv("NO_COLOR", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    doctor_cell, again_cell, watched_cell, unload_cell = (notebook.cells[i] for i in (2, 3, 5, 7))

    (shown,) = displays(doctor_cell)
    assert "MD201 overfitting" in shown["text/plain"]
    assert "the Doctor callback cannot see the arrays" in shown["text/plain"]
    frame = shown["text/html"]
    assert frame.startswith("<iframe srcdoc=") and 'sandbox=""' in frame
    document = html.unescape(frame.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert "<html" in document.lower() and "MD201" in document and "overfitting" in document

    assert displays(again_cell) and "codes after the second fit: ['MD201'" in stdout(again_cell)  # state was reset

    (watched,) = displays(watched_cell)
    assert "MD201 overfitting" in watched["text/plain"] and "Cell In[" in watched["text/plain"]
    assert "the Doctor callback cannot see the arrays" not in watched["text/plain"]  # the probe's patches see the data
    assert watched["text/html"].startswith("<iframe srcdoc=")
    assert stdout(unload_cell).strip() == "False"  # unwatch put Keras back
