"""setup.py stops at once, with one sentence naming what is missing and how to install it, when a build
prerequisite is absent (never a compiler log)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETUP = os.path.join(ROOT, "setup.py")
pytestmark = pytest.mark.skipif(not os.path.isfile(SETUP), reason="needs the source tree's setup.py")


def run_check(*args):
    env = dict(os.environ, PYTHONWARNINGS="ignore")  # setuptools' own deprecation chatter is not ours
    return subprocess.run([sys.executable, SETUP, "-q", "check_build_env", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_missing_cblas_header_is_one_line_naming_it_and_the_install_command(tmp_path):
    empty = tmp_path / "include"
    empty.mkdir()
    result = run_check("--include-dirs", str(empty))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "error:" not in result.stderr.lower()
    last = result.stderr.strip().splitlines()[-1]
    assert last == (f"mnemonet: cannot build: OpenBLAS's C header cblas.h is not in {empty}; install it with "
                    "`sudo apt-get install libopenblas-dev` (or add its folder to CPATH).")


def test_found_everything_here(tmp_path):
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert "build prerequisites found" in result.stdout


@pytest.fixture(scope="module")
def setup_module_functions(tmp_path_factory):
    """setup.py's check functions, loaded without running setup(): the source up to the Extension definition."""
    source = open(SETUP).read()
    head = source[:source.index("native = Extension(")]
    namespace = {"__file__": SETUP, "__name__": "mnemonet_setup_check"}
    exec(compile(head, SETUP, "exec"), namespace)
    return namespace


def test_each_missing_prerequisite_has_its_sentence(setup_module_functions, tmp_path):
    problem = setup_module_functions["build_environment_problem"]
    empty = str(tmp_path)
    headers = problem(python_include=empty)
    assert "Python.h" in headers and "-dev`" in headers and "\n" not in headers
    swift = problem(swift=os.path.join(empty, "no-swift"))
    assert "Swift 6 toolchain" in swift and "swift.org/install" in swift
    (tmp_path / "cblas.h").write_text("")
    blas_lib = problem(include_dirs=[empty], library_dirs=[empty])
    assert "libopenblas" in blas_lib and "sudo apt-get install libopenblas-dev" in blas_lib
    (tmp_path / "libopenblas.so").write_text("")
    assert problem(include_dirs=[empty], library_dirs=[empty]) is None
