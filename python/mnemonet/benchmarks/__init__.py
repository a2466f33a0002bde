"""Built-in benchmarks: ``python -m mnemonet.benchmarks sinusoid [--json] [--iterations N] [--seed S] [--plot PATH]``."""
from .sinusoid import SinusoidMethod, all_methods, default_methods, format_table, plot_adapted_curves, run_sinusoid

__all__ = ["SinusoidMethod", "all_methods", "default_methods", "format_table", "plot_adapted_curves", "run_sinusoid"]
