"""The API's limits per call (`docs/api.md`), one home for the whole client side.

A request body carries at most 100 entries (bulk gets and bulk export creates) and a list page
at most 100 resources. The planner's call estimate, the client's chunking, the apply engine's
batches and its polls all read these, so they cannot drift apart. The sandbox enforces the same
limits with its own constants: it is an independent implementation of the contract.
"""

from __future__ import annotations

BULK_LIMIT = 100  # entries in one bulk request body
PAGE_LIMIT = 100  # resources in one list page (`limit`, 1 to 100)

# A count, a size or a limit, as plans, receipts and guards hold them: never beyond a 64-bit
# integer (what a file size, the platform and a receipt can hold).
MAX_COUNT = 2**63 - 1
