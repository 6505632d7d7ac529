"""The plan as the counts GitLab's Terraform merge request widget reads
(`artifacts:reports:terraform`).

GitLab documents the file as the JSON object `{"create": N, "update": N, "delete": N}`
(https://docs.gitlab.com/ee/user/infrastructure/iac/mr_integration.html), and its parser
(`Gitlab::Ci::Parsers::Terraform::Tfplan`) accepts exactly those three keys, in that order,
and nothing else: an extra key makes the widget show an error instead of the counts.
"""

from __future__ import annotations

import json

from reconciler.plan.model import Action, Plan

# How our actions read in the widget's words ("N to add, N to change, N to delete"):
# - move and copy write a new object at a destination where there was none: create. A move
#   also deletes the platform copy, but the file itself stays in the project (as an alias),
#   so nothing the manifests declare disappears; the note and plan.md mark moves as
#   destructive, which the widget cannot say.
# - replace overwrites an object that exists: update.
# - nothing is ever deleted: dropping a declaration leaves its object and alias in place.
# in-sync and in-flight change nothing now (an in-flight job was submitted earlier), and
# blocked items are never submitted, so none of them is counted.
_WIDGET_ACTIONS: dict[Action, str] = {
    Action.MOVE: "create",
    Action.COPY: "create",
    Action.REPLACE: "update",
}


def terraform_report(plan: Plan) -> dict[str, int]:
    counts = {"create": 0, "update": 0, "delete": 0}
    for action, column in _WIDGET_ACTIONS.items():
        counts[column] += plan.count(action)
    return counts


def terraform_report_json(plan: Plan) -> str:
    return json.dumps(terraform_report(plan)) + "\n"
