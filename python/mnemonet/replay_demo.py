"""A tour of mnemonet's replay buffers: ``python -m mnemonet.replay_demo``.

1. Prioritized sampling frequencies against P(i) = p_i^alpha / sum_k p_k^alpha, next to uniform sampling, with the
   importance weights w_i = (N P(i))^-beta / max_k (N P(k))^-beta.
2. The seed tutorial's ExperienceReplay: distinct items per batch, weights over the batch maximum.
3. A save/load round trip that continues with identical samples.
4. A reservoir that keeps a uniform sample of a long stream.
"""
import os
import tempfile

import numpy as np

from .replay import ExperienceReplay, PrioritizedReplay, ReservoirReplay


def _frequencies(buf, n_items, draws, beta):
    counts = np.zeros(n_items)
    weights = np.zeros(n_items)
    for _ in range(draws // 256):
        b = buf.sample(256, beta=beta)
        np.add.at(counts, b["indices"], 1)
        weights[b["indices"]] = b["weights"]
    return counts / counts.sum(), weights


def main(seed: int = 0) -> None:
    priorities = np.array([0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 0.2, 3.0])
    n, alpha, beta, draws = len(priorities), 0.6, 0.4, 200_000
    fields = {"x": (4,), "y": (4,)}
    data = np.random.default_rng(seed).standard_normal((n, 4)).astype(np.float32)

    prioritized = PrioritizedReplay(1000, fields, alpha=alpha, seed=seed)
    prioritized.add(x=data, y=-data, priority=priorities)
    uniform = PrioritizedReplay(1000, fields, alpha=0.0, seed=seed)
    uniform.add(x=data, y=-data)

    p = (priorities + prioritized.eps) ** alpha
    P = p / p.sum()
    freq, weights = _frequencies(prioritized, n, draws, beta)
    ufreq, _ = _frequencies(uniform, n, draws, beta)
    expected_w = (n * P) ** -beta / ((n * P.min()) ** -beta)

    print(f"1. Prioritized replay (Schaul et al. 2016), {n} items, alpha={alpha}, beta={beta}, {draws:,} draws")
    print(f"   {'item':>4} {'priority':>8} {'P(i)':>7} {'sampled':>8} {'uniform':>8} {'weight':>7} {'formula':>8}")
    for i in range(n):
        print(f"   {i:>4} {priorities[i]:>8.1f} {P[i]:>7.4f} {freq[i]:>8.4f} {ufreq[i]:>8.4f} {weights[i]:>7.4f} "
              f"{expected_w[i]:>8.4f}")
    print(f"   max |sampled - P(i)| = {np.abs(freq - P).max():.4f}; the rarest item has weight 1.")

    er = ExperienceReplay(capacity=100, alpha=alpha, seed=seed)
    for i in range(n):
        er.push((data[i], -data[i]), priority=priorities[i] + 1e-6)
    samples, w = er.sample(5, beta=beta)
    picked = [int(np.flatnonzero((data == x).all(axis=1))[0]) for x, _ in samples]
    print("\n2. ExperienceReplay (the seed's semantics): sample(5) drew distinct items", picked,
          "with weights", np.round(w, 4), "(max 1 within the batch)")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "replay.mnem")
        prioritized.save(path)
        restored = PrioritizedReplay.load(path)
        a, b = prioritized.sample(256), restored.sample(256)
        same = all(np.array_equal(a[k], b[k]) for k in a)
        print(f"\n3. Saved {os.path.getsize(path):,} bytes and loaded {restored!r};\n   next sample(256) identical: {same}")

    stream, capacity = 100_000, 1000
    reservoir = ReservoirReplay(capacity, {"t": ()}, seed=seed)
    for start in range(0, stream, 5000):
        reservoir.add(t=np.arange(start, start + 5000, dtype=np.float32))
    kept = np.unique(reservoir.sample(20_000)["t"])
    print(f"\n4. Reservoir of {capacity} over a stream of {stream:,} items (seen={reservoir.seen:,}): "
          f"mean kept time step {kept.mean():,.0f} (uniform: {(stream - 1) / 2:,.0f}), "
          f"{(kept < stream / 2).mean():.0%} from the first half")


if __name__ == "__main__":
    main()
