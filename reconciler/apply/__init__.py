"""Apply: converge the live state to a plan with bulk exports, safely and resumably.

Split by verb: `select` (what a plan lets us submit), `guards` (limits checked before any call),
`recheck` (the plan still true after a prompt), then the engine (`engine`, the run loop) and its
parts, with `context` for what they share: `classify`, `resume` (an earlier run's journal),
`creates` and `submit` (bulk create calls), `answers` (reading them), `lost_answers` and
`recover` (a create with no readable answer), `watch` and `poll` (bulk export gets until final),
`verify` and `confirm` (convergence from the finished jobs), `ledger` and `gate` (results,
queues, copies before moves), `tally` and `progress`; `journal`/`lock` (the state folder),
`report`, `receipt`. The apply use case that ties them together (plan, select, confirm, an
engine per platform) is `usecases/apply.py`.
"""
