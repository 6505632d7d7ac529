"""Apply: converge the live state to a plan with bulk exports, safely and resumably.

Split by verb: `select` (what a plan lets us submit), `guards` (limits checked before any call),
`submit` (bulk create calls, copies before moves), `recover` (a create with no readable answer),
`poll` (bulk export get until terminal), `verify` (convergence from the finished jobs),
`journal`/`lock` (the state folder), `progress`, `report`, `receipt`; `engine` and `run` tie
them together.
"""
