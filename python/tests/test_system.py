"""mnemonet.blas_info: which OpenBLAS the native core links and which kernels it chose."""
import os

import numpy as np  # noqa: F401  (numpy's own bundled OpenBLAS must not be the one described)

import mnemonet
from mnemonet import system


def test_describes_the_library_the_extension_links():
    info = mnemonet.blas_info()
    assert sorted(info) == ["config", "core", "coretype_env", "cpu", "hint", "library", "threads"]
    assert info["library"] is not None and os.path.exists(info["library"])
    assert "openblas" in os.path.basename(info["library"]).lower()
    # numpy wheels bundle their own OpenBLAS under numpy.libs; the extension links the system one.
    assert "numpy.libs" not in info["library"]
    assert isinstance(info["core"], str) and info["core"]
    assert info["config"].startswith("OpenBLAS")
    assert isinstance(info["threads"], int) and info["threads"] >= 1
    assert info["cpu"] in ("avx512", "avx2", "other")


def test_hint_only_when_the_kernels_lack_what_the_processor_has():
    assert "OPENBLAS_CORETYPE=SkylakeX" in system._hint("Prescott", "avx512", None)
    assert "OPENBLAS_CORETYPE=Haswell" in system._hint("Prescott", "avx2", None)
    assert system._hint("Haswell", "avx2", None) is None
    assert system._hint("SkylakeX", "avx512", None) is None
    assert system._hint("Prescott", "other", None) is None
    assert system._hint("Prescott", "avx512", "Prescott") is None  # the user chose it
    assert system._hint(None, "avx512", None) is None
