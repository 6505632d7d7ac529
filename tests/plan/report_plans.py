"""Plans for the HTML report's tests, made by the real planner from hand-built manifests and
live state: several volumes and top-level prefixes, globs and a list of file IDs, and every
action (moves, copies, replaces, in sync, blocked), so the charts, risk lists and filters have
something to tell apart."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reconciler.core.live import LiveFile
from reconciler.manifest.models import Mode
from reconciler.plan.model import Plan
from reconciler.plan.planner import PlanContext, build_plan

from .helpers import fid, file, live, manifests, rule, volume

# File names (and path selectors) that would act if the page put them in as markup.
HOSTILE = (
    '<script>window.__pwned="script"</script>',
    "<img src=x onerror=\"window.__pwned='img'\">",
    "</script><script>window.__pwned='breakout'</script>",
    "<!--<script>window.__pwned='comment'//",
    '"><svg onload="window.__pwned=\'attribute\'">',
    "line\u2028separator\u2029paragraph",
    "&lt;entity&gt;",
)

VOLUMES = ("lab/archive", "lab/results", "lab/cold")
ENDPOINT = "https://api.sbgenomics.com/v2"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def plain_name(i: int) -> str:
    return f"s{i}"


def varied_plan(
    n: int, *, name: Callable[[int], str] = plain_name, paths: Sequence[str] = ()
) -> Plan:
    """About `n` items: a fifth of the files in each of five folders, each folder declared by
    a glob of its own (`runs/` .bam moved and .vcf copied to lab/archive, `qc/` copied with
    overwrite to lab/results, `scratch/` moved to lab/cold), and a list of file IDs copied to
    lab/cold, some of which do not exist (blocked). Every 7th file of `qc/` has an object in
    the way (a replace), every 11th of `runs/` is already an alias there (in sync). `name(i)`
    names file i (its path is `FOLDER/r{i % 9}/NAME.EXT`). Each of `paths` is one more file,
    declared by path in a manifest of its own (a declaration row each) and copied to
    lab/results at that path."""
    files: list[LiveFile] = []
    objects: dict[tuple[str, str], int | None] = {}
    ids: list[int] = []
    missing: list[str] = []
    for i in range(n):
        kind = i % 5
        sub = f"r{i % 9}/{name(i)}"
        if kind == 0:
            path = f"runs/{sub}.bam"
            alias = ("lab/archive", f"bam/{path}") if i % 11 == 0 else None
            files.append(file(i, path, size=1_000_000 + i, alias=alias))
        elif kind == 1:
            files.append(file(i, f"runs/{sub}.vcf", size=20_000 + i))
        elif kind == 2:
            path = f"qc/{sub}.html"
            files.append(file(i, path, size=5_000 + i))
            if i % 7 == 2:
                objects[("lab/results", path)] = 1
        elif kind == 3:
            files.append(file(i, f"scratch/{sub}.tmp", size=300_000_000 + i))
        elif i % 50 == 4:
            missing.append(fid(i))
            ids.append(i)
        else:
            files.append(file(i, f"uploads/{sub}.fastq", size=2_000_000_000 + i))
            ids.append(i)
    extra = [
        rule(path, kind="path", location="{path}", volume="lab/results", mode=Mode.COPY,
             manifest=f"manifests/extra{index}.yaml", line=3)
        for index, path in enumerate(paths)
    ]  # fmt: skip
    files += [file(n + index, path, size=7_000) for index, path in enumerate(paths)]
    rules = [
        *extra,
        rule("runs/**/*.bam", kind="glob", location="bam/{path}", volume="lab/archive", line=5),
        rule(
            "runs/**/*.vcf",
            kind="glob",
            location="vcf/{path}",
            volume="lab/archive",
            mode=Mode.COPY,
            line=12,
        ),
        rule(
            "qc/**/*",
            kind="glob",
            location="{path}",
            volume="lab/results",
            mode=Mode.COPY,
            overwrite=True,
            line=20,
        ),
        rule(
            "scratch/**/*",
            kind="glob",
            location="{path}",
            volume="lab/cold",
            manifest="manifests/cold.yaml",
            line=4,
        ),
        *(
            rule(
                fid(i),
                location="ids/{name}",
                volume="lab/cold",
                mode=Mode.COPY,
                manifest="manifests/ids.yaml",
                line=10 + 2 * index,
                index=index,
            )
            for index, i in enumerate(ids)
        ),
    ]
    state = live(
        files,
        missing_ids=missing,
        volumes=[volume(v, bucket=v.replace("/", "-")) for v in VOLUMES],
        objects=objects,
    )
    context = PlanContext(
        "0.1.0", endpoint=ENDPOINT, manifests_commit=COMMIT, planned_at="2026-12-06T10:00:00Z"
    )
    return build_plan(manifests(*rules), state, context=context)
