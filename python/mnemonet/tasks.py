"""The seed's synthetic tasks (``create_task_data``), reproducing ``torch.randn`` without torch."""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ._native import InvalidArgumentError
from .memory import _int

__all__ = ["create_task_data", "torch_randn"]


def torch_randn(seed: int, count: int) -> np.ndarray:
    """The first ``count`` values of ``torch.manual_seed(seed); torch.randn(count)`` on CPU, float32.

    PyTorch's CPU generator is MT19937 (seeded like NumPy's legacy ``RandomState``); a float uniform keeps 24 bits of
    a 32-bit draw; normals come from Box–Muller on blocks of 16 (``u1 = 1 − U[j]``, ``u2 = U[j+8]``), the last block
    recomputed from fresh uniforms when ``count`` is not a multiple of 16. Uniforms are bit-exact; the normals match
    PyTorch's vectorised (SLEEF) log/sin/cos to within 4 ulp (~83% bit-exact). Needs ``count >= 16``.
    """
    if count < 16:
        raise InvalidArgumentError(f"torch_randn reproduces torch.randn for at least 16 values, got {count}")
    if not 0 <= seed < 2**32:
        raise InvalidArgumentError(f"seed must be in 0...2**32-1, got {seed}")
    bits = np.random.MT19937()
    bits._legacy_seeding(int(seed))
    raw = bits.random_raw(count)
    u = (raw & 0xFFFFFF).astype(np.float32) * np.float32(2.0**-24)
    out = u.copy()
    two_pi = np.float32(2 * np.pi)

    def fill(block):  # block: [blocks, 16] views into `out`
        u1 = np.float32(1) - block[:, :8]
        u2 = block[:, 8:]
        radius = np.sqrt(np.float32(-2) * np.log(u1.astype(np.float64)).astype(np.float32))
        theta = (two_pi * u2).astype(np.float64)
        c = radius * np.cos(theta).astype(np.float32)
        s = radius * np.sin(theta).astype(np.float32)
        block[:, :8] = c
        block[:, 8:] = s

    full = count - count % 16
    body = out[:full].reshape(-1, 16)
    fill(body)
    if count % 16:
        tail = u[count - 16:].copy().reshape(1, 16)
        fill(tail)
        out[count - 16:] = tail[0]
    return out


#: The offset of the held-out stream: ``split="test"`` draws like ``torch.manual_seed(TEST_SEED_OFFSET + task_id)``.
TEST_SEED_OFFSET = 1_000_000


def create_task_data(task_id: int, num_samples: int = 100, input_dim: int = 64,
                     split: str = "train") -> Tuple[np.ndarray, np.ndarray]:
    """The seed's tasks: x ~ N(0, 1) [num_samples, 64] drawn like ``torch.manual_seed(task_id); torch.randn``, and

    * task 0: ``y = sin(mean(x))`` broadcast to 64 values,
    * task 1: ``y = 0.5 cos(mean(x))``,
    * task k ≥ 2: ``y = tanh(0.5 x + k)``.

    Parameters
    ----------
    split : {"train", "test"}, default "train"
        ``"train"`` is the seed's stream, exactly: note that the seed's ``create_task_data(t, 20)`` (its "test
        data") is the first 20 of the 50 training samples, so the seed's test error is a training error.
        ``"test"`` is a held-out stream of the same task (x drawn like
        ``torch.manual_seed(1_000_000 + task_id); torch.randn``), disjoint from every training draw.

    Returns
    -------
    X, Y : ndarray, float32 [num_samples, input_dim]
        (The seed returns a list of (x, y) pairs: ``list(zip(X, Y))`` gives that.)
    """
    task_id, num_samples, input_dim = _int(task_id, "task_id"), _int(num_samples, "num_samples"), _int(input_dim, "input_dim")
    if split not in ("train", "test"):
        raise InvalidArgumentError(f"split must be 'train' or 'test', got {split!r}")
    if task_id < 0:
        raise InvalidArgumentError(f"task_id must be >= 0, got {task_id}")
    if num_samples < 1 or input_dim < 1 or num_samples * input_dim < 16:
        raise InvalidArgumentError(
            f"num_samples and input_dim must be >= 1 with at least 16 values in all, got {num_samples} x {input_dim}")
    stream = task_id if split == "train" else TEST_SEED_OFFSET + task_id
    x = torch_randn(stream, num_samples * input_dim).reshape(num_samples, input_dim)
    if task_id == 0:
        m = x.mean(axis=1, keepdims=True, dtype=np.float32)
        y = np.broadcast_to(np.sin(m), x.shape).astype(np.float32)
    elif task_id == 1:
        m = x.mean(axis=1, keepdims=True, dtype=np.float32)
        y = (np.broadcast_to(np.cos(m), x.shape) * np.float32(0.5)).astype(np.float32)
    else:
        y = np.tanh(x * np.float32(0.5) + np.float32(task_id)).astype(np.float32)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)
