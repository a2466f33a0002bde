"""Builds mnemonet._native: the Swift core (static, release) linked with the C shim into one CPython extension.

The result depends only on system libraries and libopenblas: the Swift runtime is linked statically (with swiftrt.o,
without which the module imports and then crashes at the first dynamic cast), and only PyInit__native is exported.

Environment:
    MNEMONET_SWIFT       the `swift` driver to use (default: the one on PATH, then /opt/swift/usr/bin/swift)
"""
import json
import os
import shlex
import shutil
import subprocess
import sys

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
NATIVE_DIR = os.path.join("python", "mnemonet", "_native")
PRODUCT = "MnemonetNative"


def _swift_driver():
    candidate = os.environ.get("MNEMONET_SWIFT") or shutil.which("swift") or "/opt/swift/usr/bin/swift"
    if not os.path.exists(candidate) and not shutil.which(candidate):
        sys.exit("mnemonet: the Swift toolchain (swift 6.x) is required to build; set MNEMONET_SWIFT or put swift on PATH")
    return candidate


def _run(cmd, **kw):
    print("mnemonet build:", " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


class SwiftBuildExt(build_ext):
    """Builds the Swift static library first, then links it into the extension."""

    def build_extension(self, ext):
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

setup(ext_modules=[native], cmdclass={"build_ext": SwiftBuildExt})
