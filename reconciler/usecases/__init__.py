"""The use cases the commands call: the layer between the command line and the rooms below.

- `plan.py`: what `plan` and `apply` share: load the manifests, check the pin, resolve every
  platform's configuration, connect, read the live states side by side, build one plan;
- `apply.py`: one apply, from connected clients to a receipt: lock, plan, select, guard,
  confirm, an engine per platform, the receipt.

The commands own arguments and terminals; these modules own the order of things.
"""
