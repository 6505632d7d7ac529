"""What every plan of a merge request agrees on (`gitops/agreed.py`), on hand-made plans: an
export counts only when every plan shows it equal, whatever live state each was planned
against; the cut plan is a valid saved plan of those exports alone."""

from __future__ import annotations

import dataclasses

from reconciler.gitops.agreed import Source, agree
from reconciler.manifest.models import export_properties
from reconciler.plan.io import dump_plan, load_plan, plan_digest
from reconciler.plan.model import Action, Plan, PlanItem, ReasonCode
from tests.plan.helpers import moves_from_one_glob

FIRST, SECOND, THIRD = (
    Source(p, "refs/merge-requests/3/head", p * 10, f"{p:064x}") for p in (1, 2, 3)
)


def sealed(plan: Plan) -> Plan:
    return dataclasses.replace(plan, digest=plan_digest(plan))


def with_items(plan: Plan, items: list[PlanItem]) -> Plan:
    settings = tuple(dict.fromkeys([*plan.settings, *(i.settings for i in items)]))
    return sealed(dataclasses.replace(plan, items=tuple(items), settings=settings))


def test_one_plan_is_its_own_agreement() -> None:
    plan = sealed(moves_from_one_glob(3))
    agreed = agree([(FIRST, plan)])
    assert agreed.plan == plan and agreed.left_out == ()


def test_a_later_plan_with_a_new_file_leaves_that_file_out() -> None:
    reviewed = sealed(moves_from_one_glob(3))
    later = sealed(moves_from_one_glob(4))  # a fourth file appeared, and this plan moves it
    agreed = agree([(FIRST, reviewed), (SECOND, later)])
    assert [i.file_id for i in agreed.plan.items] == [i.file_id for i in reviewed.items]
    [left] = agreed.left_out
    assert left.item == later.items[3] and left.missing_from == (FIRST,)
    assert "not in pipeline 1 (refs/merge-requests/3/head), job 10" in left.reason


def test_only_equal_exports_count_and_the_live_state_does_not() -> None:
    base = sealed(moves_from_one_glob(4))
    items = list(base.items)
    items[0] = dataclasses.replace(items[0], fingerprint="another live state")  # still equal
    items[1] = dataclasses.replace(
        items[1], settings=dataclasses.replace(items[1].settings, overwrite=True)
    )
    items[2] = dataclasses.replace(
        items[2],
        settings=dataclasses.replace(
            items[2].settings, properties=export_properties(aws_storage_class="STANDARD_IA")
        ),
    )
    items[3] = dataclasses.replace(
        items[3], action=Action.IN_SYNC, reason_code=ReasonCode.ALIAS_AT_DESTINATION
    )
    other = with_items(base, items)

    agreed = agree([(FIRST, base), (SECOND, other), (THIRD, base)])

    assert [i.file_id for i in agreed.plan.items] == [base.items[0].file_id]
    # Each export some plan would send and not every plan shows, once, with who lacks it.
    left = {(o.item.file_id, o.item.overwrite, o.missing_from) for o in agreed.left_out}
    assert left == {
        (base.items[1].file_id, False, (SECOND,)),
        (base.items[1].file_id, True, (FIRST, THIRD)),
        (base.items[2].file_id, False, (SECOND,)),
        (base.items[2].file_id, False, (FIRST, THIRD)),
        (base.items[3].file_id, False, (SECOND,)),  # the move; in sync sends nothing
    }


def test_the_cut_plan_is_a_valid_plan_of_what_remains() -> None:
    reviewed = sealed(moves_from_one_glob(3))
    later = sealed(moves_from_one_glob(5))
    agreed = agree([(SECOND, later), (FIRST, reviewed)]).plan  # the first given is the base
    assert len(agreed.items) == 3 and agreed.count(Action.MOVE) == 3
    assert agreed.destructive_count == 3 and agreed.risks[1].count == 3
    assert agreed.digest == plan_digest(agreed) != later.digest
    assert load_plan(dump_plan(agreed)) == agreed


def test_what_the_newest_plan_shows_done_is_left_out_without_alarm() -> None:
    """An earlier merge request's apply ran between the two plans: its pending moves are in
    sync in the newest one. Nothing is sent for them and nothing is reported; the file that
    appeared in between still is."""
    reviewed = sealed(moves_from_one_glob(3))
    later_items = [
        dataclasses.replace(i, action=Action.IN_SYNC, reason_code=ReasonCode.ALIAS_AT_DESTINATION)
        for i in moves_from_one_glob(4).items[:3]
    ]
    later = with_items(reviewed, [*later_items, moves_from_one_glob(4).items[3]])

    agreed = agree([(FIRST, reviewed), (SECOND, later)])

    assert agreed.plan.items == ()
    assert [o.item.file_id for o in agreed.left_out] == [later.items[3].file_id]
    # The other way round (the newest plan would move them again), they are reported.
    again = agree([(SECOND, later), (FIRST, reviewed)])
    assert {o.item.file_id for o in again.left_out} == {i.file_id for i in later.items}
