"""Resident memory stays flat (issue 14): 10^5 calls of each hot entry point, and creating and dropping thousands
of agents, grow the process by less than a stated bound after warm-up. Each workload runs in a fresh interpreter."""
import subprocess
import sys
import textwrap

import pytest

PRELUDE = textwrap.dedent("""
    import gc, numpy as np, mnemonet as mn
    def rss():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
    def measure(call, n=100_000, warm=10_000):
        for _ in range(warm):
            call()
        gc.collect()
        base = rss()
        for _ in range(n - warm):
            call()
        gc.collect()
        print(f"{rss() - base:.3f}")
    rng = np.random.default_rng(0)
    x4 = rng.standard_normal(4).astype(np.float32)
""")

WORKLOADS = {
    "agent.train_step": """
        a = mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 64, seed=0)
        measure(lambda: a.train_step(x4, x4))""",
    "agent.evaluate": """
        a = mn.ContinualLearningAgent(4, 8, mn.MemoryConfig(8, 4, 2), 64, seed=0)
        X = np.ones((2, 4), np.float32)
        measure(lambda: a.evaluate(X, X))""",
    "controller.forward": """
        bank = mn.NeuralMemoryBank(mn.MemoryConfig(8, 4, 2))
        ctl = mn.MemoryController(4, 8, mn.MemoryConfig(8, 4, 2), seed=0)
        measure(lambda: ctl.forward(x4, bank))""",
    "bank.content_addressing": """
        bank = mn.NeuralMemoryBank(mn.MemoryConfig(8, 4, 2))
        measure(lambda: bank.content_addressing(x4, 1.0))""",
    "replay.add+sample+update": """
        rb = mn.PrioritizedReplay(10_000, {"x": (16,), "y": (16,)}, seed=0)
        item = np.ones((4, 16), np.float32)
        rb.add(x=item, y=item)
        def step():
            rb.add(x=item, y=item)
            b = rb.sample(4)
            rb.update_priorities(b["indices"], np.ones(4))
        measure(step)""",
    "reservoir.add+sample": """
        rr = mn.ReservoirReplay(1_000, {"x": (16,)}, seed=0)
        item = np.ones((2, 16), np.float32)
        rr.add(x=item)
        measure(lambda: (rr.add(x=item), rr.sample(2)))""",
    "MLP.predict": """
        mlp = mn.MLP((1, 16, 1), seed=0)
        xs = np.ones((5, 1), np.float32)
        measure(lambda: mlp.predict(xs))""",
    "MetaLearner.meta_step": """
        learner = mn.MetaLearner(mn.MLP((1, 8, 1), seed=0))
        xs = np.linspace(-1, 1, 5, dtype=np.float32).reshape(5, 1)
        measure(lambda: learner.meta_step(xs, xs, xs, xs))""",
    "create+drop default agents": """
        for _ in range(200):
            mn.ContinualLearningAgent(seed=0)
        gc.collect()
        base = rss()
        for k in range(3000):
            a = mn.ContinualLearningAgent(seed=k)
            del a
        gc.collect()
        print(f"{rss() - base:.3f}")""",
}

BOUND_MB = 4.0  # growth after warm-up; the calls themselves allocate nothing that is kept


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_rss_is_flat(name):
    code = PRELUDE + textwrap.dedent(WORKLOADS[name])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                       env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-3000:]
    grew = float(r.stdout.strip().splitlines()[-1])
    assert grew < BOUND_MB, f"{name}: RSS grew by {grew:.2f} MB over the measured calls"
