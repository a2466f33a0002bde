"""mnemonet picks OpenBLAS kernels for CPUs the system OpenBLAS does not recognise (mnemonet/_blas_core.py)."""
import os
import subprocess
import sys

import pytest

from mnemonet import _blas_core

PROBE = """
import ctypes, os, re, mnemonet
libs = sorted(set(re.findall(r"(/\\S*libopenblas\\S*)", open("/proc/self/maps").read())))
f = ctypes.CDLL(libs[0]).openblas_get_corename
f.restype = ctypes.c_char_p
print(f().decode(), os.environ.get("OPENBLAS_CORETYPE"))
"""


def probe(env):
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_unset_coretype_is_chosen_from_the_cpu_and_a_users_choice_is_kept():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    flags = _blas_core._cpu_flags()
    core, var = probe(env)
    if _blas_core._SKYLAKEX <= flags:
        assert (core, var) == ("SkylakeX", "SkylakeX")
    elif _blas_core._HASWELL <= flags:
        assert (core, var) == ("Haswell", "Haswell")
    assert probe({**env, "OPENBLAS_CORETYPE": "Prescott"}) == ["Prescott", "Prescott"]


def test_nothing_changes_once_openblas_is_loaded(monkeypatch):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    assert _blas_core.select_openblas_core() is None  # this process has loaded it already
    assert "OPENBLAS_CORETYPE" not in os.environ
