"""The agent's benchmark hook (bench/bench_floors.py): it runs the real step's phases and refuses bad arguments."""
import numpy as np
import pytest

import mnemonet

PHASES = ["train_step", "checks_snapshot_copy", "forward", "loss", "replay_record_push", "pullback",
          "gradient_norms", "adam"]


def _agent():
    agent = mnemonet.ContinualLearningAgent(input_dim=8, hidden_dim=16, config={"memory_size": 8, "memory_dim": 4,
                                                                                "num_read_heads": 2}, seed=0)
    X, Y = mnemonet.create_task_data(0, 50)
    return agent, np.ascontiguousarray(X[:, :8]), np.ascontiguousarray(Y[:, :8])


def test_phases_are_timed_and_train_the_agent():
    agent, X, Y = _agent()
    before = agent.controller.state_dict()["lstm.weight_ih_l0"].copy()
    ns = agent._agent.bench_plain_step_phases(X[0], Y[0], iterations=3, repeats=2)
    assert len(ns) == len(PHASES)
    assert all(np.isfinite(v) and v >= 0 for v in ns)
    # The whole step and the phases that do real work take time; a step costs at least its Adam phase's order.
    assert ns[0] > 0 and ns[2] > 0 and ns[7] > 0
    # It ran real steps and Adam updates (documented: the hook changes the agent).
    assert not np.array_equal(agent.controller.state_dict()["lstm.weight_ih_l0"], before)
    assert len(agent.replay_buffer) > 0


def test_bad_arguments_are_refused():
    agent, X, Y = _agent()
    with pytest.raises(mnemonet.InvalidArgumentError, match="iterations and repeats must be >= 1"):
        agent._agent.bench_plain_step_phases(X[0], Y[0], iterations=0)
    with pytest.raises(mnemonet.InvalidArgumentError, match=r"x must have shape \(8,\)"):
        agent._agent.bench_plain_step_phases(X[0, :3], Y[0])
    with pytest.raises(mnemonet.InvalidArgumentError):
        agent._agent.bench_plain_step_phases(np.full(8, np.nan, np.float32), Y[0])
    with pytest.raises(TypeError):
        agent._agent.bench_plain_step_phases(X[0].astype(np.float64), Y[0])


def test_dnc_memory_agent_is_refused():
    agent = mnemonet.ContinualLearningAgent(input_dim=8, hidden_dim=16, memory="dnc", seed=0)
    x = np.zeros(8, np.float32)
    with pytest.raises(mnemonet.MnemonetError, match="memory='seed'"):
        agent._agent.bench_plain_step_phases(x, x, iterations=1, repeats=1)
