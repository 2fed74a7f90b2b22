"""A realistic synthetic history, for trying the app and for benchmarks: `write_demo`.

One module per kind of history (see write_demo for the order). Same seed, same history.
"""

from shift.demo.history import write_demo

__all__ = ["write_demo"]
