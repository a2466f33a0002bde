"""What mnemonet's native core runs on: the BLAS library it is linked to and the kernel that library chose.

OpenBLAS picks its compute kernels for the processor at load time. A release older than the processor (Debian 12
ships OpenBLAS 0.3.21) may not recognise it and fall back to its generic SSE3 ("Prescott") kernels, which run matrix
products several times slower than the processor could. mnemonet does not override that choice (an override that
names kernels the processor lacks would crash); :func:`blas_info` tells you which kernel runs, and OpenBLAS's own
``OPENBLAS_CORETYPE`` environment variable, set before Python starts, selects another.
"""
from __future__ import annotations

import ctypes
import os

from . import _native  # noqa: F401  (loads the extension, and with it the OpenBLAS it links)

__all__ = ["blas_info", "cached_tensor_bytes", "release_cached_tensors"]

# OpenBLAS core names (lower case) whose kernels use AVX2 or wider, for the hint in blas_info().
_AVX2_CORES = {"haswell", "zen", "excavator", "skylakex", "cooperlake", "sapphirerapids"}


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _native_blas() -> tuple[ctypes.CDLL, str | None] | None:
    """The extension's own view of BLAS: a handle whose symbol look-ups search the extension and the libraries it
    links (so numpy's separately bundled OpenBLAS is never the one described), and the path of the library that
    defines ``cblas_sgemm`` for it."""
    try:
        ext = ctypes.CDLL(_native.__file__)  # already loaded: the same object, nothing new is loaded
        sgemm = ext.cblas_sgemm
    except (OSError, AttributeError):
        return None
    path = None
    try:
        libc = ctypes.CDLL(None)
        info = _DlInfo()
        libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
        if libc.dladdr(ctypes.cast(sgemm, ctypes.c_void_p), ctypes.byref(info)) and info.dli_fname:
            path = os.path.realpath(info.dli_fname.decode(errors="replace"))
    except (OSError, AttributeError):
        pass
    return ext, path


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def blas_info() -> dict:
    """Describe the BLAS library the native core uses.

    Returns
    -------
    dict
        ``library`` (path of the loaded OpenBLAS, or None where it cannot be found), ``core`` (the kernel family
        OpenBLAS selected, e.g. ``"Haswell"``, ``"SkylakeX"``, ``"Prescott"``), ``config`` (OpenBLAS's build string),
        ``threads`` (its thread count), ``coretype_env`` (``OPENBLAS_CORETYPE`` if set), ``cpu`` (``"avx512"``,
        ``"avx2"`` or ``"other"``: the widest vector extension the processor reports) and ``hint`` (None, or one
        sentence when OpenBLAS chose kernels without AVX2 on a processor that has it).

    Examples
    --------
    >>> import mnemonet
    >>> sorted(mnemonet.blas_info())
    ['config', 'core', 'coretype_env', 'cpu', 'hint', 'library', 'threads']
    """
    found = _native_blas()
    path = found[1] if found else None
    core = config = threads = None
    if found is not None:
        for name, restype in (("openblas_get_corename", ctypes.c_char_p), ("openblas_get_config", ctypes.c_char_p),
                              ("openblas_get_num_threads", ctypes.c_int)):
            fn = getattr(found[0], name, None)
            if fn is None:
                continue
            fn.restype, fn.argtypes = restype, []
            value = fn()
            if name == "openblas_get_num_threads":
                threads = int(value)
            elif value:
                text = value.decode(errors="replace").strip()
                core, config = (text, config) if name == "openblas_get_corename" else (core, text)
    flags = _cpu_flags()
    cpu = "avx512" if "avx512f" in flags else "avx2" if {"avx2", "fma"} <= flags else "other"
    env = os.environ.get("OPENBLAS_CORETYPE")
    hint = _hint(core, cpu, env)
    return {"library": path, "core": core, "config": config, "threads": threads,
            "coretype_env": env, "cpu": cpu, "hint": hint}


def _hint(core: str | None, cpu: str, coretype_env: str | None) -> str | None:
    """One sentence when OpenBLAS chose kernels narrower than the processor on its own (None when it chose well,
    when the core is unknown, or when the user chose the core with OPENBLAS_CORETYPE)."""
    if core is None or coretype_env:
        return None
    lower = core.lower()
    if cpu in ("avx512", "avx2") and lower not in _AVX2_CORES:
        suggestion = "SkylakeX" if cpu == "avx512" else "Haswell"
        return (f"OpenBLAS runs its {core} kernels on a processor with {cpu.upper()}: this OpenBLAS does not "
                f"recognise the processor. Matrix products would be faster with OPENBLAS_CORETYPE={suggestion} "
                f"set before Python starts (check results against the default before relying on it).")
    return None


def cached_tensor_bytes() -> int:
    """Bytes of large tensor buffers (64 KiB or more) the native engine keeps idle for reuse.

    A training step of the DNC or SNAIL frees and reallocates the same large buffers every step; the engine keeps them
    (up to an eighth of physical memory, at most 2 GiB) instead of handing them back to the system, which saves a page
    fault and a page clear per 4 KiB each step. That memory stays in the process after training until
    :func:`release_cached_tensors` frees it.

    Returns
    -------
    int
        The idle bytes kept now.
    """
    return int(_native.tensor_cache(False))


def release_cached_tensors() -> int:
    """Free the idle tensor buffers the engine keeps for reuse (see :func:`cached_tensor_bytes`), e.g. after training
    in a notebook. Buffers in use are untouched, and the next steps simply allocate again.

    Returns
    -------
    int
        The bytes freed.

    Examples
    --------
    >>> import mnemonet
    >>> freed = mnemonet.release_cached_tensors()
    >>> mnemonet.cached_tensor_bytes()
    0
    """
    return int(_native.tensor_cache(True))
