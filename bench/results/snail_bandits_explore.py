"""Exploratory SNAIL bandit runs (the log: snail_bandits_exploration.md). One training seed, phases of
``updates:lr:entropy_coef:batch``, evaluated every ``--eval-every`` updates on 500 *validation* episodes (draw seed
54321, not the table's test seed 12345), sampled and greedy. Run with OPENBLAS_NUM_THREADS=1, e.g.

    python bench/results/snail_bandits_explore.py --blocks tc16,att16 --phases 3000:1e-3:0.01:32,2000:3e-4:0.005:32 --eval-every 1000
"""
import argparse
import time

import numpy as np
from mnemonet import SNAIL, bandits

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=100)
ap.add_argument("--k", type=int, default=5)
ap.add_argument("--blocks", default="tc16,att16")
ap.add_argument("--phases", default="1500:1e-3:0.01:32", help="updates:lr:entropy:batch,...")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--eval", type=int, default=500)
ap.add_argument("--eval-every", type=int, default=0)
ap.add_argument("--gamma", type=float, default=0.99)
ap.add_argument("--lam", type=float, default=0.95)
a = ap.parse_args()

def parse_blocks(s):
    out = []
    for b in s.split(","):
        if b.startswith("tc"):
            out.append(("tc", int(b[2:])))
        else:
            w = b[3:].split("x")
            out.append(("attention", int(w[0]), int(w[-1])))
    return out

blocks = parse_blocks(a.blocks)
p, u = bandits.draw(a.eval, a.k, a.n, seed=54321)  # validation draws, not the test draws (12345)
net = SNAIL.for_bandits(a.k, a.n, blocks=blocks, seed=a.seed)
print("params", sum(v.size for v in net.state_dict().values()), flush=True)
t0, c0 = time.time(), time.process_time()
done = 0
hist = []
for ph in a.phases.split(","):
    it, lr, ent, bs = ph.split(":")
    it, lr, ent, bs = int(it), float(lr), float(ent), int(bs)
    net.lr = lr
    step = a.eval_every or it
    left = it
    while left > 0:
        m = min(step, left)
        h = net.fit_bandits(a.n, iterations=m, batch_size=bs, entropy_coef=ent, discount=a.gamma, gae_lambda=a.lam, progress=False)
        hist += h.tolist(); left -= m; done += m
        s = net.evaluate_bandits(p, u).mean(); g = net.evaluate_bandits(p, u, greedy=True).mean()
        print(f"upd {done} lr {lr} ent {ent} bs {bs} train(last50) {np.mean(hist[-50:]):.2f} val sampled {s:.2f} greedy {g:.2f} "
              f"cpu {time.process_time()-c0:.0f}s wall {time.time()-t0:.0f}s", flush=True)
