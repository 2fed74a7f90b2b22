"""The domain of Solo Shift: hours, storage, shifts, desk statistics.

Pure Python: nothing here imports Textual or Rich, so every rule can be used
from a test, a script or another interface.
"""
