"""Writes examples/quickstart.ipynb (outputs stripped). Edit the cells here and rerun: python tools/make_quickstart.py"""
import os

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    new_markdown_cell("""# mnemonet quickstart

A continual-learning agent with a differentiable memory, prioritized replay and MAML, all running natively (Swift)
behind NumPy arrays. Short configurations: the whole notebook runs in well under a minute."""),
    new_code_cell("""%matplotlib inline
import copy, pickle
import numpy as np
import matplotlib.pyplot as plt
import mnemonet
from mnemonet.demo import run_continual_learning
print(mnemonet.__version__)"""),
    new_markdown_cell("""## 1. The agent, with and without replay

The seed's four regression tasks, learned one after another (5 epochs each here; the demo uses 20). After each task
the agent is evaluated on every task so far. Without replay, the error on the first task grows as later tasks are
learned (forgetting); replaying stored samples keeps it low."""),
    new_code_cell("""tables = {}
for use_replay in (True, False):
    agent, errors, seconds = run_continual_learning(use_replay, epochs=5, seed=0, progress=False, verbose=False)
    tables["with replay" if use_replay else "without replay"] = errors
    print(f"{'with' if use_replay else 'without'} replay: {seconds:.1f} s, task-1 error after each task:",
          " ".join(f"{row[0]:.4f}" for row in errors))

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, errors in tables.items():
    ax.plot(range(1, len(errors) + 1), [row[0] for row in errors], marker="o", label=name)
ax.set(xlabel="after learning task", ylabel="test MSE on task 1", yscale="log", title="Forgetting of task 1")
ax.legend(); plt.show()"""),
    new_markdown_cell("""The trained agent is an ordinary Python object: it pickles and deep-copies through its checkpoint bytes (weights,
Adam state, memory, replay contents, random state), so a copy continues exactly like the original."""),
    new_code_cell("""twin = pickle.loads(pickle.dumps(agent))
X, Y = mnemonet.create_task_data(0, num_samples=20)
print(agent.train_step(X[0], Y[0]) == twin.train_step(X[0], Y[0]), len(agent.to_bytes()), "checkpoint bytes")"""),
    new_markdown_cell("""## 2. A prioritized replay buffer

Items are drawn with probability ∝ (priority + ε)^α. Here five items get priorities 1…5 and the sample frequencies
follow them."""),
    new_code_cell("""buffer = mnemonet.PrioritizedReplay(100, {"obs": (4,), "reward": ()}, alpha=1.0, seed=0)
buffer.add(obs=np.random.default_rng(0).normal(size=(5, 4)), reward=np.arange(5.0), priority=[1, 2, 3, 4, 5])
batch = buffer.sample(3000)
counts = np.bincount(batch["indices"], minlength=5)
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(range(5), counts / counts.sum(), label="sampled")
ax.plot(range(5), np.arange(1, 6) / 15, "k_", markersize=30, label="priority / Σ priority")
ax.set(xlabel="item", ylabel="share of draws"); ax.legend(); plt.show()
buffer.update_priorities(batch["indices"][:3], [0.1, 0.1, 0.1])  # e.g. |TD error| after a learning step
print(buffer)"""),
    new_markdown_cell("""## 3. MAML on sinusoids

Meta-train an MLP (1-40-40-1) for 3,000 meta-iterations (the paper runs 70,000; `python -m mnemonet.benchmarks
sinusoid` runs the full protocol), then adapt to new sinusoids from 10 points with the inner step size α = 0.01."""),
    new_code_cell("""learner = mnemonet.MetaLearner(mnemonet.MLP((1, 40, 40, 1), seed=0), algorithm="maml", inner_lr=0.01, seed=0)
history = learner.meta_train(iterations=3000, meta_batch_size=10, k_shot=10, progress=False)
print(f"meta-objective: {history[:100].mean():.3f} (first 100) -> {history[-100:].mean():.3f} (last 100)")
summary = learner.evaluate_sinusoid(num_tasks=200, k_shot=10, max_steps=10).summary((0, 1, 10))
print("query MSE on 200 fresh tasks:", {steps: round(v["mse"], 3) for steps, v in summary.items()}, "(by steps)")

rng = np.random.default_rng(1)
amplitude, phase = 2.0, 0.5
support_x = rng.uniform(-5, 5, size=(10, 1)).astype(np.float32)
support_y = amplitude * np.sin(support_x - phase)
grid = np.linspace(-5, 5, 200, dtype=np.float32).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(grid, amplitude * np.sin(grid - phase), "k", label="task")
ax.plot(grid, learner.model.predict(grid), "--", label="meta-learned θ (0 steps)")
for steps in (1, 10):
    ax.plot(grid, learner.adapt(support_x, support_y, num_steps=steps).predict(grid), label=f"after {steps} step(s)")
ax.scatter(support_x, support_y, c="k", zorder=3, label="10 support points")
ax.legend(fontsize=8); ax.set(title="MAML: adapted curves"); plt.show()"""),
]


def main():
    nb = new_notebook(cells=CELLS, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "quickstart.ipynb")
    nbformat.write(nb, path)
    print("wrote", path)


if __name__ == "__main__":
    main()
