"""Pick OpenBLAS's kernels for this CPU before the native extension loads the system OpenBLAS.

OpenBLAS (a ``DYNAMIC_ARCH`` build, as Debian and Ubuntu ship it) chooses its kernels once, when the library is
loaded, from the CPU's family and model number. A release older than the CPU does not know the model and falls back
to its most generic x86-64 kernels: Debian 12's OpenBLAS 0.3.21 runs the SSE3 "Prescott" kernels on Sapphire and
Emerald Rapids Xeons, which made every sgemm of mnemonet 2–3× slower than the AVX-512 ones (``OPENBLAS_VERBOSE=2``
prints ``Core: Prescott``). OpenBLAS reads ``OPENBLAS_CORETYPE`` at load time, so before ``mnemonet._native`` is
imported this module sets it from the CPU's feature flags when the user has not set it:

- AVX-512 F/CD/BW/DQ/VL (every Intel AVX-512 server core): ``SkylakeX``, the kernels 0.3.21 would pick for the
  models it knows (Skylake-SP to Ice Lake);
- else AVX2 and FMA: ``Haswell``;
- else (or not Linux, or a non-Intel CPU, which OpenBLAS identifies by family) nothing.

A value already in the environment is never changed, so ``OPENBLAS_CORETYPE=...`` still selects any core.
"""
import os

_AVX512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def _cpu_info(path: str = "/proc/cpuinfo") -> tuple:
    """(vendor id, set of feature flags) of the first CPU in ``path``; ("", set()) if it cannot be read."""
    vendor, flags = "", set()
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "vendor_id" and not vendor:
                    vendor = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return vendor, flags


def core_for(vendor: str, flags: set) -> "str | None":
    """The ``OPENBLAS_CORETYPE`` for a CPU with this vendor id and these flags, or None to leave OpenBLAS's choice."""
    if vendor != "GenuineIntel":
        return None
    if _AVX512 <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def select(environ=os.environ, cpuinfo: str = "/proc/cpuinfo") -> "str | None":
    """Sets ``OPENBLAS_CORETYPE`` in ``environ`` unless it is set; returns the value it set (None if it set none)."""
    if environ.get("OPENBLAS_CORETYPE"):
        return None
    core = core_for(*_cpu_info(cpuinfo))
    if core is not None:
        environ["OPENBLAS_CORETYPE"] = core
    return core


def loaded_core() -> "str | None":
    """The kernel set the process's system OpenBLAS runs (``openblas_get_corename``), or None if unavailable."""
    import ctypes

    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return None


select()
