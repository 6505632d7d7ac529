"""The demo's example manifests, wherever reconciler is installed, copied into a working folder.

The repository keeps them at `manifests/` and `examples/blocked/`; the wheel carries the same
files as `reconciler/examples/manifests/` and `reconciler/examples/blocked/` (mapped in
pyproject.toml, not copied in the repository). An editable install or a checkout on the path
has no such folders inside the package (setuptools' editable finder serves code, not a
data-only folder mapped from elsewhere), so there they are read from the checkout itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import reconciler
from reconciler.errors import ConfigError

# The example's name -> (its folder inside the installed package, its folder in a checkout).
EXAMPLES = {
    "manifests": (Path("examples/manifests"), Path("manifests")),
    "blocked": (Path("examples/blocked"), Path("examples/blocked")),
}


def packaged_example(name: str) -> Path:
    """The folder holding the example `name` (a key of EXAMPLES) in this installation."""
    installed, in_checkout = EXAMPLES[name]
    package = Path(reconciler.__file__).resolve().parent
    candidates = [package / installed]
    if (package.parent / "pyproject.toml").is_file():  # a checkout (or an editable install)
        candidates.append(package.parent / in_checkout)
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    raise ConfigError(
        f"the example {name!r} is not installed with reconciler at {package}: "
        "reinstall reconciler, or give the demo your own with --manifests/--blocked"
    )


def copy_example(name: str, into: Path) -> Path:
    """Copy the example `name` to `into` (its checkout layout: `manifests/`, `examples/blocked/`)
    and return the copy's path relative to `into`."""
    relative = EXAMPLES[name][1]
    shutil.copytree(packaged_example(name), into / relative)
    return relative
