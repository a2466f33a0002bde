"""Every public native object is picklable and copyable through its checkpoint bytes (the bytes ``save`` writes).

For each object type: a pickle round trip continues exactly (the copy's next step equals the original's), a deep copy
is independent, ``to_bytes`` equals the file ``save`` writes, ``from_bytes``/``load`` read bytes and binary file
objects, the objects cross process boundaries (multiprocessing spawn and fork, ProcessPoolExecutor), and corrupt
bytes raise CheckpointFormatError.
"""
import concurrent.futures
import copy
import io
import multiprocessing
import pickle

import numpy as np
import pytest

import mnemonet
from mnemonet import _native

I = 4  # the agent's / controller's input width in these tests
RNG = np.random.default_rng(123)
X = RNG.standard_normal((6, I)).astype(np.float32)
Y = RNG.standard_normal((6, I)).astype(np.float32)
SX = np.linspace(-5, 5, 10, dtype=np.float32).reshape(-1, 1)
SY = np.sin(SX).astype(np.float32)


def _config():
    return mnemonet.MemoryConfig(memory_size=8, memory_dim=4, num_read_heads=2)


# -- one factory and one deterministic "next step" per object type ------------------------------------------------
def make_agent():
    agent = mnemonet.ContinualLearningAgent(I, 8, _config(), replay_capacity=32, lr=1e-2, seed=1)
    for x, y in zip(X, Y):
        agent.train_step(x, y)
    return agent


def step_agent(agent):
    return [agent.train_step(x, y) for x, y in zip(X[:3], Y[:3])] + [agent.evaluate(X, Y)]


def make_prioritized():
    buf = mnemonet.PrioritizedReplay(64, {"obs": (2, 3), "reward": ()}, seed=5)
    buf.add(obs=np.random.default_rng(1).standard_normal((20, 2, 3)), reward=np.arange(20.0), priority=np.linspace(0.1, 2.0, 20))
    return buf


def step_prioritized(buf):
    batch = buf.sample(8)
    buf.update_priorities(batch["indices"], np.linspace(0.5, 1.5, 8))
    return [buf.sample(8)[k] for k in sorted(batch)]


def make_experience():
    er = mnemonet.ExperienceReplay(32, seed=2)
    for k in range(10):
        er.push((np.full(3, k, np.float32), np.float32(k)), priority=1.0 + k)
    return er


def step_experience(er):
    batch, weights = er.sample(4)
    return [weights] + [np.stack([b[f] for b in batch]) for f in range(2)]


def make_reservoir():
    res = mnemonet.ReservoirReplay(8, {"x": (3,)}, seed=3)
    res.add(x=np.random.default_rng(2).standard_normal((30, 3)))
    return res


def step_reservoir(res):
    res.add(x=np.ones((5, 3)))
    return list(res.sample(4).values())


def make_bank():
    bank = mnemonet.NeuralMemoryBank(_config())
    bank.write(np.ones(4, np.float32), np.arange(4, dtype=np.float32), np.full(4, 0.5, np.float32), 2.0)
    return bank


def step_bank(bank):
    bank.write(np.arange(4, dtype=np.float32), np.ones(4, np.float32), np.zeros(4, np.float32), 1.0)
    return [bank.memory, bank.usage, bank.read(np.ones((2, 4), np.float32), np.ones(2, np.float32))]


def make_controller():
    return mnemonet.MemoryController(I, 8, _config(), seed=4)


def step_controller(ctl):
    bank = mnemonet.NeuralMemoryBank(_config())
    return [ctl.forward(x, bank) for x in X[:3]]


def make_mlp():
    return mnemonet.MLP((1, 16, 1), seed=6)


def step_mlp(mlp):
    return [mlp.predict(SX)]


def make_meta():
    learner = mnemonet.MetaLearner(mnemonet.MLP((1, 16, 1), seed=7), algorithm="meta-sgd", seed=8)
    learner.meta_train(iterations=5, meta_batch_size=4, k_shot=5, progress=False)
    return learner


def step_meta(learner):
    history = learner.meta_train(iterations=3, meta_batch_size=4, k_shot=5, progress=False)
    return [history, learner.parameters, learner.adapt(SX, SY, num_steps=2).predict(SX)]


def make_controller_meta():
    return mnemonet.MetaLearner(mnemonet.MemoryController(I, 8, _config(), seed=9), inner_lr=0.05)


def step_controller_meta(learner):
    adapted = learner.adapt(X, Y, num_steps=2)
    return [adapted.support_losses, adapted.predict(X[:2]), learner.meta_gradient(X, Y, X, Y).gradient]


OBJECTS = {
    "agent": (make_agent, step_agent),
    "prioritized": (make_prioritized, step_prioritized),
    "experience": (make_experience, step_experience),
    "reservoir": (make_reservoir, step_reservoir),
    "memory_bank": (make_bank, step_bank),
    "controller": (make_controller, step_controller),
    "mlp": (make_mlp, step_mlp),
    "meta_learner": (make_meta, step_meta),
    "controller_meta": (make_controller_meta, step_controller_meta),
}
CHECKPOINTED = ["agent", "prioritized", "experience", "reservoir", "memory_bank", "controller", "meta_learner"]


def assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


def roundtrip_in_child(name):
    """Runs in a worker process: build, pickle back; the parent compares with its own."""
    make, _ = OBJECTS[name]
    return make()


def step_in_child(name, obj):
    """Runs in a worker process: the object arrived by pickle; returns its next steps and the object."""
    return OBJECTS[name][1](obj), obj


@pytest.mark.parametrize("name", list(OBJECTS))
def test_pickle_round_trip_continues_exactly(name):
    make, step = OBJECTS[name]
    original = make()
    restored = pickle.loads(pickle.dumps(original))
    assert type(restored) is type(original)
    assert_same(step(restored), step(original))


@pytest.mark.parametrize("name", list(OBJECTS))
def test_deepcopy_is_independent(name):
    make, step = OBJECTS[name]
    original = make()
    twin = make()  # the same construction: what `original` must still equal after the copy is used
    clone = copy.deepcopy(original)
    step(clone)
    step(clone)  # the copy moves on ...
    assert_same(step(original), step(twin))  # ... and the original is untouched


@pytest.mark.parametrize("name", CHECKPOINTED)
def test_to_bytes_equals_save_and_loads_back(name, tmp_path):
    make, step = OBJECTS[name]
    obj = make()
    path = tmp_path / "checkpoint"
    obj.save(path)
    data = obj.to_bytes()
    assert isinstance(data, bytes) and data == path.read_bytes()
    cls = type(obj)
    from_file, from_bytes = cls.load(path), cls.from_bytes(bytearray(data))
    stream = io.BytesIO()
    obj.save(stream)
    assert stream.getvalue() == data
    stream.seek(0)
    from_stream = cls.load(stream)
    a, b, c, d = step(from_file), step(from_bytes), step(from_stream), step(obj)
    assert_same(a, d)
    assert_same(b, d)
    assert_same(c, d)


@pytest.mark.parametrize("name", CHECKPOINTED)
def test_corrupt_bytes_raise_checkpoint_format_error(name):
    obj = OBJECTS[name][0]()
    cls = type(obj)
    data = bytearray(obj.to_bytes())
    data[len(data) // 2] ^= 0x55
    with pytest.raises(mnemonet.CheckpointFormatError, match="corrupt"):
        cls.from_bytes(bytes(data))
    with pytest.raises(mnemonet.CheckpointFormatError, match="truncated|corrupt"):
        cls.from_bytes(obj.to_bytes()[:-7])
    with pytest.raises(mnemonet.CheckpointFormatError, match="not a mnemonet checkpoint"):
        cls.from_bytes(b"not a checkpoint at all")


def test_corrupt_pickle_gives_a_clear_error():
    blob = bytearray(pickle.dumps(make_agent()))
    start = blob.index(b"MNEMONET")
    blob[start + 200] ^= 0xFF  # inside the checkpoint payload the pickle carries
    with pytest.raises(mnemonet.CheckpointFormatError, match="checksum"):
        pickle.loads(bytes(blob))


def test_views_pickle_through_their_agent():
    agent = make_agent()
    agent2, ctl2, bank2 = pickle.loads(pickle.dumps((agent, agent.controller, agent.memory_bank)))
    assert ctl2._ctl is not agent.controller._ctl
    # the copied views share the copied agent: training it changes what they see
    before = bank2.memory.copy()
    agent2.train_step(X[0], Y[0])
    assert not np.array_equal(before, bank2.memory)
    np.testing.assert_array_equal(agent2.memory_bank.memory, bank2.memory)
    np.testing.assert_array_equal(agent.memory_bank.memory, make_agent().memory_bank.memory)
    # a deep copy of a view alone is a view into a copied agent, independent of the original
    bank3 = copy.deepcopy(agent.memory_bank)
    bank3.reset()
    assert np.abs(agent.memory_bank.memory).sum() > 0


def test_native_objects_pickle_directly():
    buf = _native.ReplayBuffer(16, [(2, 3)], seed=1)
    buf.add((np.ones((5, 2, 3), np.float32),))
    twin = pickle.loads(pickle.dumps(buf))
    assert twin.describe()["shapes"] == ((2, 3),)  # the per-item shapes travel beside the bytes
    assert_same(twin.sample(4), buf.sample(4))
    with pytest.raises(mnemonet.ArgumentTypeError, match="bytes-like"):
        _native.Agent.from_bytes(3.5)
    with pytest.raises(mnemonet.ArgumentTypeError, match="binary file object"):
        buf.save(3)
    with pytest.raises(mnemonet.InvalidStateError, match="not initialised"):
        pickle.dumps(_native.Agent.__new__(_native.Agent))


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_objects_cross_process_boundaries(method):
    names = list(OBJECTS)
    local = {name: OBJECTS[name][0]() for name in names}
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(1) as pool:
        built = pool.map(roundtrip_in_child, names)  # made in the child, pickled back
        stepped = pool.starmap(step_in_child, [(n, OBJECTS[n][0]()) for n in names])  # sent, used, returned
    for name, remote, (child_steps, returned) in zip(names, built, stepped):
        step = OBJECTS[name][1]
        assert_same(child_steps, step(local[name]))  # the child's next steps equal ours
        assert_same(step(returned), step(local[name]))  # and what came back continues like ours
        fresh = OBJECTS[name][0]()
        assert_same(step(remote), step(fresh))


def test_process_pool_executor_trains_agents_in_parallel():
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as ex:
        results = list(ex.map(step_in_child, ["agent", "agent"], [make_agent(), make_agent()]))
    expected = step_agent(make_agent())
    for steps, agent in results:
        assert_same(steps, expected)
        assert isinstance(agent, mnemonet.ContinualLearningAgent)
