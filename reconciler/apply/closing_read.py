"""The closing read: at the end of a run, re-reading the COMPLETED jobs whose own result did
not say enough. (Not the confirmation prompt, nor the re-read after it: `recheck.py`.)

Only those items are re-read: the files of moves (one bulk get; a move is done when its file
is an alias at the destination), the destination objects of copies (an object of the source's
size). A result that does not check fails the item; a read that fails leaves what is not
settled yet unknown. Returns the verdicts; the engine records them.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.api.resources import ItemError
from reconciler.apply.outcome import ItemOutcome, Reason, Result, Verdict
from reconciler.apply.ports import ExportsApi
from reconciler.apply.verify import check_file, check_size
from reconciler.errors import ApiError
from reconciler.manifest.models import Mode


def closing_read(api: ExportsApi, pending: Sequence[ItemOutcome]) -> list[Verdict]:
    """A verdict for every item of `pending`, from the files and objects as they are now."""
    moves = [o for o in pending if o.item.mode is Mode.MOVE]
    verdicts: list[Verdict] = []
    try:
        ids = sorted({o.item.source.file_id or "" for o in moves})
        files = dict(zip(ids, api.bulk_get_files(ids), strict=True)) if ids else {}
        for o in pending:
            if o.item.mode is Mode.MOVE:
                file = files[o.item.source.file_id or ""]
                check = check_file(o.item, file) if not isinstance(file, ItemError) else None
            else:
                obj = api.get_volume_object(o.item.destination.volume, o.item.destination.location)
                check = check_size(o.item, obj.metadata.size) if obj else None
            if check is not None and check.ok:
                verdicts.append(
                    Verdict(
                        o, Result.COMPLETED, Reason.CLOSING_READ_CHECKED, object_size=check.size
                    )
                )
            else:
                problem = (check.problem if check else None) or "the result could not be confirmed"
                error = f"job COMPLETED but {problem}"
                verdicts.append(Verdict(o, Result.FAILED, Reason.RESULT_MISMATCH, error))
    except ApiError as exc:
        decided = {id(v.outcome) for v in verdicts}
        error = f"job COMPLETED; confirming failed: {exc}"
        verdicts += [
            Verdict(o, Result.UNKNOWN, Reason.CLOSING_READ_FAILED, error)
            for o in pending
            if id(o) not in decided
        ]
    return verdicts
