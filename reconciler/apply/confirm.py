"""Confirming, at the end of a run, the COMPLETED jobs whose own result did not say enough.

Only those items are re-read: the files of moves (one bulk get; a move is done when its file
is an alias at the destination), the destination objects of copies (an object of the source's
size). A result that does not check fails the item; a read that fails leaves what is not
settled yet unknown.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.api.resources import ItemError
from reconciler.apply.ledger import Ledger
from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.apply.ports import ExportsApi
from reconciler.apply.verify import check_file, check_size
from reconciler.errors import ApiError
from reconciler.manifest.models import Mode


def confirm(api: ExportsApi, pending: Sequence[ItemOutcome], ledger: Ledger) -> None:
    """Give every item of `pending` its result, from the files and objects as they are now."""
    moves = [o for o in pending if o.item.mode is Mode.MOVE]
    try:
        ids = sorted({o.item.source.file_id or "" for o in moves})
        files = dict(zip(ids, api.bulk_get_files(ids), strict=True)) if ids else {}
        for o in pending:
            if o.item.mode is Mode.MOVE:
                file = files[o.item.source.file_id or ""]
                verdict = check_file(o.item, file) if not isinstance(file, ItemError) else None
            else:
                obj = api.get_volume_object(o.item.destination.volume, o.item.destination.location)
                verdict = check_size(o.item, obj.metadata.size) if obj else None
            if verdict is not None and verdict.ok:
                o.object_size = verdict.size
                ledger.finish(o, Result.COMPLETED)
            else:
                problem = verdict.problem if verdict else None
                ledger.finish(
                    o,
                    Result.FAILED,
                    f"job COMPLETED but {problem or 'the result could not be confirmed'}",
                )
    except ApiError as exc:
        for o in pending:
            if o.result is None:
                ledger.finish(o, Result.UNKNOWN, f"job COMPLETED; confirming failed: {exc}")
