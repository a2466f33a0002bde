"""mnemonet picks OpenBLAS's kernels from the CPU flags before the system OpenBLAS loads (mnemonet._openblas_core)."""
import os
import subprocess
import sys

from mnemonet import _openblas_core as oc


def test_core_from_flags():
    avx512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"}
    assert oc.core_for("GenuineIntel", avx512) == "SkylakeX"
    assert oc.core_for("GenuineIntel", {"avx2", "fma", "sse3"}) == "Haswell"
    assert oc.core_for("GenuineIntel", {"sse3"}) is None
    assert oc.core_for("AuthenticAMD", avx512) is None  # OpenBLAS identifies AMD by family: left alone


def test_select_respects_a_user_choice_and_reads_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("vendor_id\t: GenuineIntel\nflags\t\t: fpu sse3 avx2 fma\n\nvendor_id\t: GenuineIntel\n")
    env = {}
    assert oc.select(env, str(info)) == "Haswell" and env == {"OPENBLAS_CORETYPE": "Haswell"}
    env = {"OPENBLAS_CORETYPE": "Sandybridge"}
    assert oc.select(env, str(info)) is None and env == {"OPENBLAS_CORETYPE": "Sandybridge"}
    assert oc.select({}, str(tmp_path / "missing")) is None


def test_the_loaded_openblas_runs_the_selected_kernels():
    # A fresh interpreter: what importing mnemonet sets is what the system OpenBLAS then runs.
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    code = ("import os, mnemonet; from mnemonet import _openblas_core as c; "
            "print(os.environ.get('OPENBLAS_CORETYPE'), c.loaded_core())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    chosen, loaded = out.stdout.split()
    if chosen != "None" and loaded != "None":
        assert loaded.lower() == chosen.lower()
