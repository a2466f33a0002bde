"""OpenBLAS kernel selection for CPUs the system OpenBLAS does not recognise (runs before ``mnemonet._native`` loads).

OpenBLAS built with DYNAMIC_ARCH (Debian's and Ubuntu's ``libopenblas0-pthread``) picks its kernels from the CPU's
family and model when the library is loaded. Releases older than the CPU do not know it and fall back to the SSE3
"Prescott" kernels: OpenBLAS 0.3.21 (Debian 12) on an Intel Xeon of family 6, model 207 reports ``Prescott`` although
the CPU has AVX-512, and every matrix-vector product of the agent then runs at a fraction of the CPU's speed (the
agent's step with replay measured 1.1 ms with Prescott kernels against 0.40 ms with SkylakeX ones, same run).

OpenBLAS reads ``OPENBLAS_CORETYPE`` once, when it is loaded. So before the extension (which links OpenBLAS) is
imported, and only if the variable is unset and OpenBLAS is not loaded yet, this sets it from the instruction sets
the kernel reports in /proc/cpuinfo: ``SkylakeX`` with AVX-512 F/CD/BW/DQ/VL, ``Haswell`` with AVX2 and FMA; otherwise
nothing is set. Set ``OPENBLAS_CORETYPE`` yourself (any OpenBLAS core name) to choose differently.
"""
import os
import platform
import sys

__all__ = ["select_openblas_core"]

_SKYLAKEX = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}
_HASWELL = {"avx2", "fma"}


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _openblas_loaded():
    try:
        with open("/proc/self/maps") as f:
            return "libopenblas" in f.read()
    except OSError:
        return True  # cannot tell: leave OpenBLAS's own choice alone


def select_openblas_core():
    """Sets ``OPENBLAS_CORETYPE`` for this CPU if it is unset and OpenBLAS is not loaded yet; returns the core name
    set, or None when nothing was changed."""
    if "OPENBLAS_CORETYPE" in os.environ or not sys.platform.startswith("linux"):
        return None
    if platform.machine() not in ("x86_64", "AMD64") or _openblas_loaded():
        return None
    flags = _cpu_flags()
    core = "SkylakeX" if _SKYLAKEX <= flags else "Haswell" if _HASWELL <= flags else None
    if core is not None:
        os.environ["OPENBLAS_CORETYPE"] = core
    return core
