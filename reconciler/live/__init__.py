"""Reading the live state, one reading job a module.

- `read.py`: the order of the reads: the project files first, then (after the manifests are
  resolved against them, once) the destinations the desired items need;
- `files.py`: the walk of a project's folders the rules can reach;
- `by_id.py`: files named by ID, and their paths when a location needs them;
- `destinations.py`: which destinations the desired items need checked, and the checks;
- `jobs.py`: the active export jobs;
- `tree.py`: the concurrent walk the folder and destination reads share;
- `convert.py`: API resources to the live model.

The live model itself (plain frozen data the planner reads, no I/O) is `reconciler/core/live.py`,
in the bottom layer, so that the planner, which this reader calls, does not import the reader.
"""
