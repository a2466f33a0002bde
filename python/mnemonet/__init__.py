"""mnemonet — neural memory agents that learn continually.

Memory, replay and meta-learning run natively (Swift, through a C ABI); NumPy arrays go in and come out.

Errors
------
Every error mnemonet raises derives from :class:`MnemonetError`; each subclass is also the built-in exception a
Python user would expect (``InvalidArgumentError`` is a ``ValueError``, ``ArgumentTypeError`` a ``TypeError``, …).
"""
from ._native import (  # noqa: F401,E402  (re-exported)
    ArgumentTypeError,
    CheckpointFormatError,
    CheckpointIOError,
    IndexOutOfRangeError,
    InvalidArgumentError,
    InvalidStateError,
    MnemonetError,
    NonFiniteError,
    ArgumentOverflowError,
    OutOfMemoryError,
)
from .replay import ExperienceReplay, PrioritizedReplay, ReservoirReplay  # noqa: E402

from .memory import MemoryConfig, MemoryController, NeuralMemoryBank  # noqa: E402
from .agent import ContinualLearningAgent  # noqa: E402
from .tasks import create_task_data  # noqa: E402
from . import plots  # noqa: E402,F401  (matplotlib is imported only when a plot is made)

from .meta import MLP, MetaGradient, MetaLearner, SinusoidEvaluation  # noqa: E402
from .controller_meta import AdaptedController, ControllerMetaLearner  # noqa: E402
from . import continual  # noqa: E402,F401  (mnemonet.continual: streams, metrics, strategies)

from .snail import SNAIL  # noqa: E402
from . import bandits, fewshot  # noqa: E402,F401
from .dnc import DNC, DNCOutput, DNCState  # noqa: E402
from . import dnc_tasks  # noqa: E402,F401
from .system import blas_info, cached_tensor_bytes, release_cached_tensors  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "MnemonetError",
    "InvalidArgumentError",
    "ArgumentTypeError",
    "IndexOutOfRangeError",
    "InvalidStateError",
    "CheckpointIOError",
    "CheckpointFormatError",
    "NonFiniteError",
    "ArgumentOverflowError",
    "OutOfMemoryError",
    "MemoryConfig",
    "NeuralMemoryBank",
    "MemoryController",
    "ContinualLearningAgent",
    "create_task_data",
    "PrioritizedReplay",
    "ExperienceReplay",
    "ReservoirReplay",
    "MLP",
    "MetaLearner",
    "MetaGradient",
    "SinusoidEvaluation",
    "ControllerMetaLearner",
    "AdaptedController",
    "SNAIL",
    "DNC",
    "DNCState",
    "DNCOutput",
    "blas_info",
    "cached_tensor_bytes",
    "release_cached_tensors",
]
