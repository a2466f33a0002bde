"""The documented surface matches the runtime: .pyi stubs name exactly what _native has, every public class and
function has a docstring, public classes have a useful __repr__."""
import ast
import inspect
import os

import numpy as np
import pytest

import mnemonet
from mnemonet import _native

STUB = os.path.join(os.path.dirname(mnemonet.__file__), "_native.pyi")


def stub_names():
    tree = ast.parse(open(STUB).read())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        if isinstance(node, ast.ClassDef):
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    return top, members


def test_stub_top_level_names_match_the_extension():
    top, _ = stub_names()
    runtime = {n for n in dir(_native) if not n.startswith("_")}
    assert top - runtime == set(), f"in the stub but not in _native: {sorted(top - runtime)}"
    assert runtime - top == set(), f"in _native but not in the stub: {sorted(runtime - top)}"


def test_stub_methods_match_the_extension_types():
    _, members = stub_names()
    for cls_name, names in members.items():
        cls = getattr(_native, cls_name)
        if issubclass(cls, BaseException):
            continue
        runtime = {n for n in dir(cls) if not n.startswith("_") or n in ("__len__", "__init__")}
        runtime -= {n for n in dir(object) if n != "__init__"} - {"__init__"}
        public_stub = {n for n in names if not n.startswith("_") or n in ("__len__", "__init__")}
        assert public_stub - runtime - {"__init__"} == set(), (cls_name, sorted(public_stub - runtime))
        missing = {n for n in runtime - public_stub if not n.startswith("_")}
        assert missing == set(), f"{cls_name}: not in the stub: {sorted(missing)}"


def public_objects():
    for name in mnemonet.__all__:
        obj = getattr(mnemonet, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            continue
        yield name, obj
    yield "AgentReplayBuffer", mnemonet.agent.AgentReplayBuffer
    for name in ("plot_memory", "plot_task_errors", "plot_results", "plot_accuracy_matrix", "plot_forgetting_curves"):
        yield name, getattr(mnemonet.plots, name)


@pytest.mark.parametrize("name, obj", list(public_objects()))
def test_public_api_is_documented(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert len(doc) > 40, f"{name} has no real docstring"
    if inspect.isclass(obj):
        # Classes users construct document their Parameters; result classes document their Attributes.
        init_doc = inspect.getdoc(obj.__init__) or ""
        assert any(s in doc or s in init_doc for s in ("Parameters", "Attributes")), f"{name}: no Parameters/Attributes"
        assert "__repr__" in vars(obj) or obj.__repr__ is not object.__repr__, f"{name}: no __repr__"
        for mname, member in vars(obj).items():
            if mname.startswith("_") or not (inspect.isfunction(member) or isinstance(member, (property, classmethod))):
                continue
            target = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
            assert inspect.getdoc(target), f"{name}.{mname} has no docstring"
    else:
        assert "Returns" in doc or "Parameters" in doc, f"{name}: no numpydoc sections"


def test_reprs_name_the_configuration():
    cfg = mnemonet.MemoryConfig(8, 4, 2)
    objs = [cfg, mnemonet.NeuralMemoryBank(cfg), mnemonet.MemoryController(4, 8, cfg, seed=0),
            mnemonet.ContinualLearningAgent(4, 8, config=cfg, replay_capacity=64, seed=0), mnemonet.PrioritizedReplay(4, {"x": 3}),
            mnemonet.ExperienceReplay(4), mnemonet.ReservoirReplay(4, {"x": 3})]
    for o in objs:
        r = repr(o)
        assert r.startswith(type(o).__name__ + "(") and " at 0x" not in r, r


def test_plot_results_leaves_the_users_backend_alone(tmp_path):
    """A notebook's backend (inline, widget, …) must survive plot_results(show=False): it used to force Agg."""
    import subprocess
    import sys

    code = ("import matplotlib; matplotlib.use('pdf'); import numpy as np; from mnemonet.plots import plot_results; "
            f"plot_results(np.zeros((4, 3)), [[0.1], [0.2, 0.01]], path={str(tmp_path / 'r.png')!r}); "
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "pdf"
    assert (tmp_path / "r.png").stat().st_size > 1000
