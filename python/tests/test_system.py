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


def test_idle_tensor_buffers_can_be_released():
    import numpy as np

    model = mnemonet.DNC(8, 8, mnemonet.MemoryConfig(64, 16, 2), hidden_size=64, seed=0)
    x = np.random.default_rng(0).standard_normal((20, 16, 8)).astype(np.float32)
    model.train_step(x, x)  # [B, N, N] link tensors of 16·64·64 floats: large enough to be kept
    kept = mnemonet.cached_tensor_bytes()
    assert kept > 0
    assert mnemonet.release_cached_tensors() == kept
    assert mnemonet.cached_tensor_bytes() == 0
    model.train_step(x, x)  # allocates afresh and keeps them again
    assert mnemonet.cached_tensor_bytes() > 0


def test_release_flag_is_strict():
    import pytest

    with pytest.raises(TypeError):
        mnemonet._native.tensor_cache("yes")
