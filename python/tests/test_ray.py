"""mnemonet.ray on a local Ray (2 CPUs): the Ape-X replay actor with two rollout workers and a learner, and the
Tune sweep example at its smallest. Skipped, with the reason, when Ray is not installed (pip install "mnemonet[ray]")."""
import os
import sys

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "mnemonet[ray]")')

from mnemonet.ray import ReplayActor  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for this module (its start-up takes seconds on 2 cores)."""
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    if started:
        ray.shutdown()


@ray.remote(num_cpus=1)
def rollout(replay, worker, batches, batch_size):
    """A rollout worker: adds `batches` batches whose item ids are unique; returns (arrival position, ids) per batch."""
    arrivals = []
    for b in range(batches):
        ids = 1.0 + worker * 10_000 + b * batch_size + np.arange(batch_size)
        obs = np.repeat(ids[:, None], 3, axis=1)
        position = ray.get(replay.add.remote(obs=obs, id=ids, priority=ids))  # priority = id: p**1 stored exactly
        arrivals.append((position, ids))
    return arrivals


def test_ape_x_two_workers_nothing_lost_and_learner_priorities_are_sampled(local_ray):
    capacity, batches, batch_size = 64, 3, 20  # 120 items into 64 slots: 56 evicted by capacity
    replay = ReplayActor.remote(capacity, {"obs": (3,), "id": ()}, alpha=1.0, eps=0.0, seed=0)
    arrivals = sorted(a for w in ray.get([rollout.remote(replay, w, batches, batch_size) for w in range(2)]) for a in w)
    order = np.concatenate([ids for _, ids in arrivals])
    assert [p for p, _ in arrivals] == list(range(0, 2 * batches * batch_size, batch_size))  # no batch lost or split
    stats = ray.get(replay.stats.remote())
    assert stats["added"] == 120 and stats["size"] == capacity and stats["evicted"] == 120 - capacity

    # Nothing lost: the stored items are exactly the last `capacity` to arrive (the rest were evicted by capacity).
    stored = ray.get(replay.priorities.remote(np.arange(capacity)))  # = the ids (priority = id, alpha 1, eps 0)
    assert sorted(stored) == sorted(order[-capacity:])

    # The learner samples (each sampled item's data matches its index's priority) ...
    batch = ray.get(replay.sample.remote(32, beta=0.4))
    np.testing.assert_array_equal(ray.get(replay.priorities.remote(batch["indices"])), batch["id"])
    np.testing.assert_array_equal(batch["obs"], np.repeat(batch["id"][:, None], 3, axis=1))
    # ... and sets priorities: 1e-12 for all but five items (total mass of the rest ~4e-12 of the five's); from then
    # on only those five are drawn (the sampler is seeded, so this is deterministic).
    keep = np.arange(capacity)[:5] * 7
    new = np.full(capacity, 1e-12)
    new[keep] = [1.0, 2.0, 3.0, 4.0, 5.0]
    ray.get(replay.update_priorities.remote(np.arange(capacity), new))
    np.testing.assert_array_equal(ray.get(replay.priorities.remote(np.arange(capacity))), new)
    later = ray.get(replay.sample.remote(500))
    assert set(later["indices"].tolist()) <= set(keep.tolist())
    counts = np.bincount(later["indices"], minlength=capacity)[keep]
    assert np.corrcoef(counts, new[keep])[0, 1] > 0.8  # drawn in proportion to the priorities the learner set

    copy = ray.get(replay.buffer.remote())  # the whole buffer travels by pickle (checkpoint bytes)
    assert len(copy) == capacity and copy.max_priority == ray.get(replay.buffer.remote()).max_priority


def test_tune_sweep_example_runs_and_reports_forgetting(local_ray, tmp_path):
    pytest.importorskip("ray.tune", reason="Ray Tune is not installed (pip install \"mnemonet[ray]\")")
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import ray_tune_sweep
    finally:
        sys.path.pop(0)
    ray.cloudpickle.register_pickle_by_value(ray_tune_sweep)  # the workers cannot import examples/: send it by value
    agent_table, maml_table = ray_tune_sweep.run(smoke=True, storage=str(tmp_path))
    assert len(agent_table) == 1 and len(maml_table) == 1
    for row in agent_table:
        assert np.isfinite(row["forgetting"]) and row["final_error_task1"] > 0
    for row in maml_table:
        assert np.isfinite(row["mse_after_10_steps"])
