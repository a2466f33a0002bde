"""The package imports from anywhere, is self-contained, and exposes one exception hierarchy."""
import os
import subprocess
import sys

import pytest

import mnemonet
from mnemonet import _native


def test_abi_version_matches():
    assert _native.abi_version() == 1


@pytest.mark.parametrize(
    "name, builtin",
    [
        ("InvalidArgumentError", ValueError),
        ("ArgumentTypeError", TypeError),
        ("IndexOutOfRangeError", IndexError),
        ("InvalidStateError", RuntimeError),
        ("CheckpointIOError", OSError),
        ("CheckpointFormatError", ValueError),
    ],
)
def test_exception_hierarchy(name, builtin):
    cls = getattr(mnemonet, name)
    assert issubclass(cls, mnemonet.MnemonetError)
    assert issubclass(cls, builtin)
    assert cls.__module__ == "mnemonet"


def test_extension_needs_no_swift_toolchain():
    """ldd must show no Swift runtime library: the runtime is linked statically."""
    out = subprocess.run(["ldd", _native.__file__], capture_output=True, text=True, check=True).stdout
    assert "swift" not in out.lower(), out


def test_extension_exports_only_the_module_entry_point():
    out = subprocess.run(["nm", "-D", "--defined-only", _native.__file__], capture_output=True, text=True, check=True).stdout
    symbols = [line.split()[-1] for line in out.splitlines() if line.strip()]
    assert symbols == ["PyInit__native"], symbols


def test_imports_from_any_directory(tmp_path):
    code = "import mnemonet, sys; sys.stdout.write(mnemonet.__version__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout == mnemonet.__version__
    assert os.path.commonpath([mnemonet.__file__, str(tmp_path)]) != str(tmp_path)
