"""Continual learning on standard benchmarks: task streams (split / permuted / rotated digits from scikit-learn's
bundled data, or :func:`stream` over your arrays), the GEM metrics, and native strategies (naive, joint, EWC, SI,
LwF, A-GEM, ER, prioritized ER, MER) over one shared training loop.

Example
-------
>>> from mnemonet import continual
>>> s = continual.split_digits("class", seed=0)
>>> r = continual.run(s, "er", seed=0)
>>> r.acc > 0.5
True
"""
from .metrics import (  # noqa: F401
    accuracy_curve,
    average_accuracy,
    average_forgetting,
    backward_transfer,
    check_accuracy_matrix,
    forgetting,
    forward_transfer,
    summarize,
    tidy,
)
from .scenarios import (  # noqa: F401
    SCENARIOS,
    Task,
    TaskStream,
    load_digits_arrays,
    permuted_digits,
    rotated_digits,
    split_digits,
    stream,
)
from .strategies import (DEFAULTS, MEMORY_STRATEGIES, STRATEGIES, STRATEGY_DEFAULTS, ContinualResult,  # noqa: F401
                         run, strategy_agent)

__all__ = [
    "Task", "TaskStream", "SCENARIOS", "stream", "split_digits", "permuted_digits", "rotated_digits",
    "load_digits_arrays", "STRATEGIES", "MEMORY_STRATEGIES", "DEFAULTS", "STRATEGY_DEFAULTS", "ContinualResult", "run", "strategy_agent", "average_accuracy",
    "backward_transfer", "forward_transfer", "forgetting", "average_forgetting", "accuracy_curve", "summarize",
    "tidy", "check_accuracy_matrix",
]
