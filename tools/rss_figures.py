"""Prints the RSS growth of each hot entry point over 10^5 calls (the workloads of python/tests/test_rss.py) and the
peak RSS of saving and of loading a 103 MB replay checkpoint relative to its size
(python/tests/test_hostile_checkpoints.py).

    python tools/rss_figures.py [--checkpoints]     (--checkpoints: only the save and load figures)
"""
import os
import resource
import subprocess
import sys
import tempfile
import textwrap

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python", "tests"))
import test_rss  # noqa: E402


def main():
    env = {"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    for name in ([] if "--checkpoints" in sys.argv[1:] else sorted(test_rss.WORKLOADS)):
        code = test_rss.PRELUDE + textwrap.dedent(test_rss.WORKLOADS[name])
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        print(f"{name:30s} RSS growth after warm-up: {float(r.stdout.split()[-1]):+.2f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "big.ckpt")
        saved = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            import numpy as np, mnemonet as mn
            def status(key):
                with open("/proc/self/status") as f:
                    for line in f:
                        if line.startswith(key): return int(line.split()[1]) * 1024
            rb = mn.PrioritizedReplay(100_000, {{"x": (128,), "y": (128,)}})
            x = np.random.default_rng(0).standard_normal((100_000, 128)).astype(np.float32)
            rb.add(x=x, y=x)
            del x
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            base = status("VmRSS")
            rb.save({big!r})
            print(base, status("VmHWM"))""")], capture_output=True, text=True, check=True, env=env).stdout.split()
        size = os.path.getsize(big)
        base, peak = map(int, saved)
        print(f"save of a {size / 1e6:.0f} MB replay checkpoint: peak RSS grew {(peak - base) / 1e6:.1f} MB "
              f"= {(peak - base) / size:.3f}x the file")
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            import mnemonet as mn
            def status(key):
                with open("/proc/self/status") as f:
                    for line in f:
                        if line.startswith(key): return int(line.split()[1]) * 1024
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset VmHWM (ru_maxrss may carry the parent's peak)
            base = status("VmRSS")
            b = mn.PrioritizedReplay.load({big!r})
            print(base, status("VmHWM"))""")],
            capture_output=True, text=True, check=True, env=env).stdout.split()
        size = os.path.getsize(big)
        base, peak = map(int, out)
        print(f"load of a {size / 1e6:.0f} MB replay checkpoint: peak RSS grew {(peak - base) / 1e6:.0f} MB "
              f"= {(peak - base) / size:.2f}x the file")


if __name__ == "__main__":
    main()
