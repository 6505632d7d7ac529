"""The exit-code contract of `reconciler plan`, as Terraform's `-detailed-exitcode` has it."""

from __future__ import annotations

from reconciler.plan.model import Plan

EXIT_NO_CHANGES = 0
EXIT_BLOCKED = 1
EXIT_CHANGES_PENDING = 2


def plan_exit_code(plan: Plan, detailed: bool) -> int:
    """1 when any item is blocked (even with others pending); with `detailed`, 2 when
    something is pending (an export to submit or a job in flight); else 0."""
    if plan.has_blocked:
        return EXIT_BLOCKED
    if detailed and plan.has_pending:
        return EXIT_CHANGES_PENDING
    return EXIT_NO_CHANGES
