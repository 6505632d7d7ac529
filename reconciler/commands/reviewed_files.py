"""What `gitlab-reviewed-plan` and `github-reviewed-plan` share: the reviewable paths as given,
looking up under one rule (a host that fails means nothing is applied), and writing the
reviewed plan and its sources for `apply --reviewed`."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from reconciler.errors import ConfigError, ReconcilerError
from reconciler.gitops.reviewed import Nothing, PlanHost, Reviewed, ReviewError, find_reviewed
from reconciler.plan.io import dump_plan

DEFAULT_REVIEWABLE = "manifests"
_SHOWN = 20


def reviewable_roots(given: Sequence[str] | None) -> tuple[str, ...]:
    """`--reviewable` values: paths, space or comma separated, repeatable."""
    roots = [p for value in given or [DEFAULT_REVIEWABLE] for p in re.split(r"[\s,]+", value) if p]
    return tuple(roots) or (DEFAULT_REVIEWABLE,)


def clear(out: Path, sources: Path | None) -> None:
    """Never leave an older plan where apply will look."""
    out.unlink(missing_ok=True)
    if sources is not None:
        sources.unlink(missing_ok=True)


def look_up(host: PlanHost, roots: Sequence[str]) -> Reviewed | Nothing:
    try:
        return find_reviewed(host, roots)
    except ReviewError:
        raise
    except ReconcilerError as exc:  # the host failed: we cannot know what was reviewed
        raise ReviewError(
            f"{exc}; the reviewed plan cannot be looked up, nothing was applied"
        ) from None
    except (KeyError, TypeError, ValueError) as exc:  # an answer without the fields we read
        raise ReviewError(
            f"the code host answered in a shape not understood ({type(exc).__name__}: {exc}); "
            "the reviewed plan cannot be looked up, nothing was applied"
        ) from None


def write_reviewed(found: Reviewed | Nothing, out: Path, sources: Path | None) -> int:
    if isinstance(found, Nothing):
        print(found.reason, file=sys.stderr)
        return 0
    try:
        out.write_text(dump_plan(found.plan), encoding="utf-8")
        if sources is not None:
            sources.write_text(json.dumps(found.record(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{exc.filename}: cannot write: {exc.strerror}") from None
    print(f"{out}: {found.describe()}", file=sys.stderr)
    for left in found.left_out[:_SHOWN]:
        print(f"not reviewed: {left}", file=sys.stderr)
    if len(found.left_out) > _SHOWN:
        print(f"... and {len(found.left_out) - _SHOWN} more not reviewed", file=sys.stderr)
    return 0
