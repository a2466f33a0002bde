"""Builds mnemonet._native: the Swift core (static, release) linked with the C shim into one CPython extension.

The result depends only on system libraries and libopenblas: the Swift runtime is linked statically (with swiftrt.o,
without which the module imports and then crashes at the first dynamic cast), and only PyInit__native is exported.

Before anything is compiled, the build checks what it needs (Python headers, the Swift toolchain, OpenBLAS's cblas.h
and libopenblas) and stops with one sentence naming what is missing and how to install it; run the check alone with
`python setup.py check_build_env [--include-dirs DIRS] [--library-dirs DIRS]`.

Environment:
    MNEMONET_SWIFT       the `swift` driver to use (default: the one on PATH, then /opt/swift/usr/bin/swift)
    CPATH, C_INCLUDE_PATH, LIBRARY_PATH   extra folders searched for cblas.h and libopenblas (as the compilers do)
"""
import json
import os
import shlex
import shutil
import subprocess
import sys

import sysconfig

import numpy
from setuptools import Command, Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
NATIVE_DIR = os.path.join("python", "mnemonet", "_native")
PRODUCT = "MnemonetNative"


APT_OPENBLAS = "sudo apt-get install libopenblas-dev"


def _swift_candidate():
    return os.environ.get("MNEMONET_SWIFT") or shutil.which("swift") or "/opt/swift/usr/bin/swift"


def _env_dirs(*names):
    return [d for n in names for d in os.environ.get(n, "").split(os.pathsep) if d]


def _default_include_dirs():
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    dirs = _env_dirs("CPATH", "C_INCLUDE_PATH") + ["/usr/local/include"]
    if multiarch:
        dirs.append(f"/usr/include/{multiarch}")
    return dirs + ["/usr/include", "/usr/include/openblas", "/opt/homebrew/opt/openblas/include"]


def _default_library_dirs():
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    dirs = _env_dirs("LIBRARY_PATH", "LD_LIBRARY_PATH") + ["/usr/local/lib"]
    if multiarch:
        dirs += [f"/usr/lib/{multiarch}", f"/lib/{multiarch}"]
    return dirs + ["/usr/lib", "/usr/lib64", "/opt/homebrew/opt/openblas/lib"]


def build_environment_problem(include_dirs=None, library_dirs=None, python_include=None, swift=None):
    """The first thing the build lacks, as one sentence naming it and the command that installs it; None if nothing.

    Checked in order: the Python headers (Python.h), the Swift toolchain, OpenBLAS's C header (cblas.h) and the
    OpenBLAS library (libopenblas). The folders default to where the compilers look.
    """
    python_include = python_include or sysconfig.get_paths()["include"]
    if not os.path.isfile(os.path.join(python_include, "Python.h")):
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return (f"mnemonet: cannot build: the Python {version} headers (Python.h) are missing from {python_include}; "
                f"install them with `sudo apt-get install python{version}-dev` (or python3-dev).")
    swift = swift or _swift_candidate()
    if not (os.path.isfile(swift) or shutil.which(swift)):
        return ("mnemonet: cannot build: the Swift 6 toolchain (swift) is not on PATH, in /opt/swift/usr/bin or in "
                "MNEMONET_SWIFT; install it as https://www.swift.org/install/linux/ describes (swiftly) and put its "
                "usr/bin on PATH.")
    include_dirs = _default_include_dirs() if include_dirs is None else list(include_dirs)
    if not any(os.path.isfile(os.path.join(d, "cblas.h")) for d in include_dirs):
        return (f"mnemonet: cannot build: OpenBLAS's C header cblas.h is not in {', '.join(include_dirs) or '(no folder)'}; "
                f"install it with `{APT_OPENBLAS}` (or add its folder to CPATH).")
    library_dirs = _default_library_dirs() if library_dirs is None else list(library_dirs)
    names = ("libopenblas.so", "libopenblas.so.0", "libopenblas.a", "libopenblas.dylib")
    if not any(os.path.exists(os.path.join(d, n)) for d in library_dirs for n in names):
        return (f"mnemonet: cannot build: the OpenBLAS library (libopenblas) is not in {', '.join(library_dirs) or '(no folder)'}; "
                f"install it with `{APT_OPENBLAS}` (or add its folder to LIBRARY_PATH).")
    return None


def _stop_if_unbuildable(**kwargs):
    problem = build_environment_problem(**kwargs)
    if problem:
        sys.exit(problem)  # one line on stderr, exit status 1: no compiler log, no traceback


class CheckBuildEnv(Command):
    """`python setup.py check_build_env`: the build's prerequisite check alone."""

    description = "check that Python headers, Swift and OpenBLAS are available to build mnemonet"
    user_options = [("include-dirs=", None, "folders searched for cblas.h (os.pathsep-separated)"),
                    ("library-dirs=", None, "folders searched for libopenblas (os.pathsep-separated)")]

    def initialize_options(self):
        self.include_dirs = None
        self.library_dirs = None

    def finalize_options(self):
        split = lambda v: None if v is None else [d for d in v.split(os.pathsep) if d]  # noqa: E731
        self.include_dirs, self.library_dirs = split(self.include_dirs), split(self.library_dirs)

    def run(self):
        _stop_if_unbuildable(include_dirs=self.include_dirs, library_dirs=self.library_dirs)
        print("mnemonet: build prerequisites found (Python headers, Swift, cblas.h, libopenblas)")


def _swift_driver():
    return _swift_candidate()


def _run(cmd, **kw):
    print("mnemonet build:", " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


class SwiftBuildExt(build_ext):
    """Builds the Swift static library first, then links it into the extension."""

    def build_extension(self, ext):
        _stop_if_unbuildable()
        swift = _swift_driver()
        tool_dir = os.path.dirname(os.path.realpath(shutil.which(swift) or swift))
        _run([swift, "build", "-c", "release", "--product", PRODUCT])
        bin_path = _run([swift, "build", "-c", "release", "--show-bin-path"], capture_output=True, text=True).stdout.strip()
        library = os.path.join(bin_path, f"lib{PRODUCT}.a")

        info = json.loads(_run([os.path.join(tool_dir, "swiftc"), "-print-target-info"], capture_output=True, text=True).stdout)
        static_dir = info["paths"]["runtimeResourcePath"] + "_static"
        platform_dir = os.path.join(static_dir, info["target"]["platform"])
        swiftrt = os.path.join(platform_dir, info["target"]["arch"], "swiftrt.o")

        autolink = _run([os.path.join(tool_dir, "swift-autolink-extract"), library, "-o", "-"], capture_output=True, text=True).stdout.split()
        with open(os.path.join(platform_dir, "static-stdlib-args.lnk")) as f:
            stdlib_args = f.read().split()
        link = []
        for flag in dict.fromkeys(autolink):  # unique, order kept
            link.append(flag)
        it = iter(stdlib_args)
        for tok in it:
            if tok == "-Xlinker":
                arg = next(it)
                if arg == "-export-dynamic":
                    continue  # an executable's flag; the version script decides what this .so exports
                link.append("-Wl," + arg)
            else:
                link.append(tok)

        ext.extra_objects = [library, swiftrt]
        ext.extra_link_args = [
            "-L" + platform_dir,
            *link,
            "-Wl,--version-script=" + os.path.join(ROOT, NATIVE_DIR, "exports.map"),
            "-Wl,--gc-sections",
        ]
        self.force = True  # the Swift library may have changed even when no C file did
        super().build_extension(ext)


native = Extension(
    "mnemonet._native",
    sources=sorted(os.path.join(NATIVE_DIR, f) for f in os.listdir(os.path.join(ROOT, NATIVE_DIR)) if f.endswith(".c")),
    depends=[os.path.join(NATIVE_DIR, "mn_common.h"), os.path.join("Sources", PRODUCT, "include", "mnemonet.h")],
    include_dirs=[numpy.get_include(), os.path.join("Sources", PRODUCT, "include")],
    extra_compile_args=["-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
)

setup(ext_modules=[native], cmdclass={"build_ext": SwiftBuildExt, "check_build_env": CheckBuildEnv})
