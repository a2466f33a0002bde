"""`python -m mnemonet.benchmarks … --json` is strict JSON: no NaN/Infinity, null plus a diverged flag (issue 13)."""
import io
import json
import math
from contextlib import redirect_stdout

import pytest

from mnemonet.benchmarks.__main__ import main, strict_json


def _strict_load(text):
    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_strict_json_replaces_non_finite_values():
    out = strict_json({"a": {"mse": float("nan"), "diverged": 0}, "b": [1.0, float("inf")], "c": {"mse": 1.0}})
    assert out == {"a": {"mse": None, "diverged": True}, "b": [1.0, None], "c": {"mse": 1.0}}
    assert strict_json({"mse": float("inf"), "diverged": 3})["diverged"] == 3


@pytest.mark.parametrize("extra", [[], ["--seeds", "0", "1"]])
def test_cli_json_is_strict_even_when_a_method_diverges(extra):
    buf = io.StringIO()
    with redirect_stdout(buf):
        main(["sinusoid", "--iterations", "200", "--methods", "meta-sgd", "--eval-tasks", "20", "--json", *extra])
    data = _strict_load(buf.getvalue())
    assert "methods" in data and "meta-sgd" in data["methods"]
