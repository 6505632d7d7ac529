"""The bottom layer: the shared vocabulary every other layer reads, with no I/O and no imports
from the rest of the package.

- `live.py`: the live model, plain frozen data the reader fills and the planner reads;
- `platforms.py`: the Seven Bridges platforms by name, and the default one;
- `collector.py`: the garbage collector paused around work that makes millions of objects.
"""
