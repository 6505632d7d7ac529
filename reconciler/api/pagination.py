"""Walking paged answers to the end: `links` with `rel: next` for list endpoints, and the
`{"next": url}` links (with a continuation token) of volume listings.

A next link must point at the same origin as the endpoint (checked by the transport), must not
repeat, and the walk is bounded, so a hostile or broken server cannot make it loop forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from reconciler.api.resources import Page
from reconciler.errors import ApiError

MAX_PAGES = 100_000  # 10 million items at 100 a page

_P = TypeVar("_P", bound=Page)


def next_link(page: Page) -> str | None:
    for link in page.links:
        if link.next:
            return link.next
        if link.href and (link.rel or "").lower() == "next":
            return link.href
    return None


def walk_pages(
    first: tuple[_P, str | None], fetch: Callable[[str], tuple[_P, str | None]], *, what: str
) -> Iterator[tuple[_P, str | None]]:
    """`first`, then every page its next links lead to, each fetched with `fetch(url)`;
    pages come with the request id of the answer that carried them."""
    page = first
    seen: set[str] = set()
    while True:
        yield page
        link = next_link(page[0])
        if link is None:
            return
        if link in seen or len(seen) >= MAX_PAGES:
            raise ApiError(f"{what}: the next-page links go round in a circle; stopped")
        seen.add(link)
        page = fetch(link)
