"""examples/quickstart.ipynb runs top to bottom (nbclient + ipykernel), so it can never go stale, and is stored
without outputs."""
import os

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs nbformat (pip install \"mnemonet[test]\")")
nbclient = pytest.importorskip("nbclient", reason="needs nbclient (pip install \"mnemonet[test]\")")
pytest.importorskip("ipykernel", reason="needs ipykernel (pip install \"mnemonet[test]\")")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOK = os.path.join(ROOT, "examples", "quickstart.ipynb")
pytestmark = pytest.mark.skipif(not os.path.isfile(NOTEBOOK), reason="needs the source tree's examples/")


def test_quickstart_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "strip the outputs (tools/make_quickstart.py)"


def test_quickstart_executes_top_to_bottom(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError with the failing cell's traceback
    images = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {}))
    assert images == 3, "the forgetting plot, the sampling frequencies and the adapted curves are drawn inline"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "True" in text  # the pickled agent continued exactly like the original
