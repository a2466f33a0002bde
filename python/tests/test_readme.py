"""Every Python code block of README.md runs as written (issue 13), in order, in one namespace, in a temporary
directory. Blocks that import torch are skipped when torch is not installed. For speed, meta-training iteration
counts are divided by 100 (``iterations=70000`` runs 700 iterations): the code is the README's, the figures it
quotes come from the benchmark commands named next to them."""
import importlib.util
import os
import re

import pytest

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def _blocks():
    text = open(README, encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_has_python_blocks():
    assert len(_blocks()) >= 5


def test_every_readme_python_block_runs(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    have_torch = importlib.util.find_spec("torch") is not None
    namespace: dict = {"__name__": "__readme__"}
    ran = 0
    for i, code in enumerate(_blocks()):
        if "import torch" in code and not have_torch:
            continue
        fast = re.sub(r"iterations=(\d+)", lambda m: f"iterations={max(1, int(m.group(1)) // 100)}", code)
        try:
            exec(compile(fast, f"README.md python block {i + 1}", "exec"), namespace)
        except Exception as e:  # pragma: no cover - the failure message names the block
            pytest.fail(f"README python block {i + 1} failed: {type(e).__name__}: {e}\n{code}")
        ran += 1
    assert ran >= 4
