"""Sending one call and getting one readable answer: sessions, timeouts, TLS, pacing, retries,
and the one place where foreign exceptions (requests, urllib3, JSON) become our errors.

One `requests.Session` per thread (a session is not documented as thread-safe), all sharing one
rate-limit pacer and one stats counter, so worker threads can read in parallel within the
budget. Reads are retried on connection errors, timeouts, unreadable bodies, 5xx and
maintenance; writes are retried only after a 429, which the server answers before doing
anything; any other failure of a write is a TransportError (the caller re-reads the state).
Redirects are never followed: the token travels in a custom header that requests would carry
to any host a redirect names.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from reconciler import __version__
from reconciler.api.config import ApiConfig
from reconciler.api.deadline import answer_limit, limited_adapter
from reconciler.api.ratelimit import RESET_MARGIN, RatePacer, rate_limit_wait
from reconciler.api.retry import RetryPolicy
from reconciler.api.stats import RATE_LIMITED, RETRIES, RequestStats
from reconciler.core import stopping
from reconciler.errors import (
    ApiError,
    MaintenanceError,
    RateLimitError,
    TransportError,
    UnreadableAnswer,
)
from reconciler.redact import redact

logger = logging.getLogger("reconciler.api")

MAX_BODY_BYTES = 64 * 1024 * 1024  # far above any page of 100 resources; a guard, not a limit
_MAX_MESSAGE = 300
MAINTENANCE_CODE = 0
# Waits of the rate pacer this long or longer are announced on stderr.
ANNOUNCE_WAITS_FROM = 2.0

Params = Mapping[str, str | int | list[str]]
# Told of a wait for the rate limit: its length in seconds and the sentence that says so.
WaitListener = Callable[[float, str], None]


@dataclass(frozen=True)
class Answer:
    status: int
    data: Any  # the parsed JSON body
    request_id: str | None
    headers: Mapping[str, str]


class _Retryable(Exception):
    """Internal: an attempt failed in a way a read may try again. `unreachable`: the endpoint
    looks wrong or down (nothing listening, no such name, a connection closed before any
    answer, not the API's JSON); `timed_out`: no whole answer within the read timeout; `sent`:
    the request may have reached the server (False only when it failed before being
    written)."""

    def __init__(
        self, error: ApiError, *, unreachable: bool = False, timed_out: bool = False
    ) -> None:
        self.error = error
        self.unreachable = unreachable
        self.timed_out = timed_out
        # Only a TransportError can say nothing was written; any other answer came back.
        self.sent = not isinstance(error, TransportError) or error.sent


class _Throttled(Exception):
    """Internal: a 429, with how long its headers ask to wait (None: they say nothing usable)."""

    def __init__(self, error: ApiError, wait: float | None) -> None:
        self.error = error
        self.wait = wait


class Transport:
    def __init__(
        self,
        config: ApiConfig,
        *,
        stats: RequestStats | None = None,
        pacer: RatePacer | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = stopping.sleep,
        session_factory: Callable[[], requests.Session] = requests.Session,
        pool_size: int = 16,
    ) -> None:
        self.config = config
        self.stats = stats or RequestStats()
        self.pacer = pacer or RatePacer(clock)
        self.retry = retry or RetryPolicy(maintenance_deadline=config.maintenance_wait)
        self._clock = clock
        self._sleep = sleep
        self._session_factory = session_factory
        self._pool_size = pool_size
        self._local = threading.local()
        self._waits_lock = threading.Lock()
        self._wait_listeners: list[WaitListener] = []
        self._announced_until: float | None = None
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        origin = urlsplit(config.endpoint)
        self._origin = (origin.scheme, origin.hostname, origin.port)

    def __repr__(self) -> str:
        return f"Transport(endpoint={self.config.endpoint!r})"

    # ---- sessions ------------------------------------------------------------------------

    def session(self) -> requests.Session:
        """This thread's session, created on first use."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            adapter = limited_adapter(self._pool_size)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.headers.update(
                {
                    "X-SBG-Auth-Token": self.config.token,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "User-Agent": f"reconciler/{__version__}",
                }
            )
            # Never False: a path to a bundle, or True for the default trust store.
            session.verify = self.config.ca_bundle or True
            # The token travels in its header only: without an auth of its own, requests
            # would add the host's ~/.netrc entry as well.
            session.auth = _no_credentials
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    # ---- calls ---------------------------------------------------------------------------

    def url_for(self, path: str) -> str:
        """An endpoint-relative path (`/files`) or an absolute link from a previous answer,
        which must point at the same origin: the token goes wherever we send a request."""
        if "://" not in path:
            return self.config.endpoint + "/" + path.lstrip("/")
        parts = urlsplit(path)
        if (parts.scheme, parts.hostname, parts.port) != self._origin:
            raise ApiError(
                f"refusing to follow a link to another host ({parts.scheme}://{parts.hostname})"
            )
        return path

    def call(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        params: Params | None = None,
        body: Any = None,
        idempotent: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One logical call, with pacing and retries: reads on any failure that may pass,
        writes only after a 429 or a failure before the request was written. `headers` are
        sent besides the session's own (the token, the content type)."""
        url = self.url_for(path)
        subject = f"{method} {urlsplit(url).path}"
        policy = self.retry
        started = self._clock()
        attempt = 0
        rate_limited = 0
        announced = False  # the wait for a 429 is announced where the 429 is handled
        bounds: tuple[float, int] | None = None  # the budget and tries `waits` were drawn for
        waits: list[float] = []
        while True:
            if stopping.requested():
                # Ctrl-C, SIGTERM or the time limit: the main thread is ending the run.
                raise TransportError(f"{subject}: not sent, the run is stopping", sent=False)
            attempt += 1
            if attempt > 1:
                self.stats.count(RETRIES)
            wait = self.pacer.delay()
            if wait > 0:
                if wait >= ANNOUNCE_WAITS_FROM and not announced:
                    self._announce(
                        wait, f"rate limit budget spent: waiting {wait:.0f}s for the reset"
                    )
                self._sleep(wait)
            tried_at = self._clock()
            try:
                return self._attempt(method, url, subject, kind, params, body, headers)
            except _Throttled as throttled:
                # A 429 is answered before anything is done, so even a write may be sent
                # again; it is not a failure of the call and has its own bound.
                rate_limited += 1
                attempt -= 1
                if rate_limited > policy.max_rate_limited:
                    raise throttled.error from None
                if throttled.wait is None:
                    wait = policy.rate_limit_fallback_wait
                else:  # whole seconds and clocks differ: a little slack after the reset
                    wait = min(throttled.wait + RESET_MARGIN, policy.max_rate_limit_wait)
                # The pacer makes the wait before the next attempt, every thread's.
                self.pacer.hold_until(self._clock() + wait)
                self._announce(
                    wait,
                    f"{subject}: rate limited (HTTP 429); waiting {wait:.3g}s for the reset "
                    f"(retry {rate_limited} of {policy.max_rate_limited})",
                )
                announced = True
                continue
            except _Retryable as retryable:
                error = retryable.error
                if not idempotent and retryable.sent:
                    # Said here as well: the caller re-reads the platform before sending again,
                    # which takes a while, and the user sees why.
                    logger.warning(
                        redact(
                            f"{error.api_message}; the call may have taken effect: not sent "
                            "again before the platform is read"
                        )
                    )
                    raise _as_write_failure(error) from None
                now = self._clock()
                budget = self._budget(retryable)
                tries = policy.max_attempts
                if retryable.timed_out:
                    tries = min(tries, policy.timeout_attempts)
                if (budget, tries) != bounds:  # the first failure, or one of another kind
                    bounds = (budget, tries)
                    waits = policy.waits(attempt, tries, budget - (now - started))
                if not waits or stopping.requested():  # no retry for a run that is stopping
                    raise self._final(retryable, attempt, now - started) from None
                wait = waits.pop(0)
                # Every retry is said, in one line, with when the call gives up if every try
                # fails as this one did: the waits are drawn ahead, so that is a true time.
                if retryable.timed_out:
                    bound = f"each up to {self.config.read_timeout:g}s"
                else:
                    tried = now - tried_at
                    left = wait + sum(waits) + (len(waits) + 1) * tried
                    bound = f"giving up in {left:.0f}s"
                last = attempt + 1 + len(waits)
                logger.warning(
                    redact(
                        f"{error.api_message}; retrying in {wait:.1f}s "
                        f"(try {attempt + 1} of {last}, {bound})"
                    )
                )
                self._sleep(wait)

    @contextmanager
    def waits_told_to(self, listener: WaitListener) -> Iterator[None]:
        """While inside, a wait for the rate limit is told to `listener` (its length in
        seconds, and the sentence), once per wait, instead of logged: a reading's progress
        line carries it."""
        with self._waits_lock:
            self._wait_listeners.append(listener)
        try:
            yield
        finally:
            with self._waits_lock:
                self._wait_listeners.remove(listener)

    def _announce(self, wait: float, sentence: str) -> None:
        """Say once that calls wait `wait` seconds: every worker thread that meets the same
        spent budget (or the same 429's hold) waits until the same moment, and one line says
        it for all of them."""
        until = self._clock() + wait
        with self._waits_lock:
            if self._announced_until is not None and until <= self._announced_until + RESET_MARGIN:
                return
            self._announced_until = until
            listeners = list(self._wait_listeners)
        sentence = redact(sentence)
        for listener in listeners:
            listener(wait, sentence)
        if not listeners:
            logger.warning(sentence)

    def _too_slow(self, subject: str) -> _Retryable:
        host = urlsplit(self.config.endpoint).netloc
        return _Retryable(
            TransportError(f"{subject}: no answer within {self.config.read_timeout:g}s ({host})"),
            timed_out=True,
        )

    def _budget(self, retryable: _Retryable) -> float:
        policy = self.retry
        if retryable.unreachable:
            return min(policy.deadline, policy.unreachable_deadline)
        if isinstance(retryable.error, MaintenanceError):
            return policy.maintenance_deadline
        return policy.deadline

    def _final(self, retryable: _Retryable, attempts: int, elapsed: float) -> ApiError:
        """The error a call ends with once retrying is over; for an unreachable endpoint,
        with a hint at the two usual causes."""
        error = retryable.error
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''} in {elapsed:.0f}s"
        if retryable.timed_out and attempts > 1:
            return TransportError(f"{error.api_message} ({tries})", request_id=error.request_id)
        if not retryable.unreachable:
            return error
        hint = (
            f"is the server at {self.config.endpoint} running (the sandbox: `reconciler "
            "sandbox`)? is SB_API_ENDPOINT (or the profile's api_endpoint) right?"
        )
        # An unreadable answer stays one: a caller may fall back from it (the file search).
        kind = UnreadableAnswer if isinstance(error, UnreadableAnswer) else TransportError
        return kind(
            f"{error.api_message} ({tries}); {hint}",
            status=error.status,
            code=error.code,
            request_id=error.request_id,
            sent=retryable.sent,
        )

    def _attempt(
        self,
        method: str,
        url: str,
        subject: str,
        kind: str,
        params: Params | None,
        body: Any,
        headers: Mapping[str, str] | None,
    ) -> Answer:
        self.stats.count(kind)
        started = time.monotonic()
        read_timeout = self.config.read_timeout
        response: requests.Response | None = None
        with answer_limit(read_timeout) as limit:
            try:
                response = self.session().request(
                    method,
                    url,
                    params=params,
                    data=None if body is None else json.dumps(body),
                    headers=headers,
                    timeout=self.config.timeout,
                    # Per request, not only on the session: requests lets REQUESTS_CA_BUNDLE
                    # override a session's bundle, but never an explicit argument.
                    verify=self.config.ca_bundle or True,
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    _check_status(subject, response)
                    # The answer limit shuts a connection whose answer is not complete
                    # `read_timeout` after the request; the deadline is a second bound for
                    # connections the limit cannot see (through an environment proxy).
                    deadline = started + self.config.connect_timeout + read_timeout
                    content = _read_capped(response, deadline)
                finally:
                    response.close()
            except requests.exceptions.SSLError as exc:
                raise TransportError(
                    f"{subject}: TLS verification failed ({_short(exc)}); "
                    "if the server uses a private CA, pass --ca-bundle or set SB_CA_BUNDLE",
                    # A certificate is checked in the handshake, before the request is written.
                    sent=not any(isinstance(e, ssl.SSLCertVerificationError) for e in _chain(exc)),
                ) from None
            except (requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
                raise _Retryable(
                    TransportError(
                        f"{subject}: no connection within {self.config.connect_timeout:g}s",
                        sent=False,
                    ),
                    unreachable=True,
                ) from None
            except (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, _TooSlow):
                raise self._too_slow(subject) from None
            # urllib3's own errors come from reading the body with read1 (a body shorter than
            # announced, gzip that is not gzip): requests translates them only in iter_content.
            except (
                requests.exceptions.RequestException,
                urllib3.exceptions.HTTPError,
                OSError,
            ) as exc:
                if limit.fired:
                    raise self._too_slow(subject) from None
                unsent = _not_sent(exc)
                # Closed or reset before any answer, every time: most likely not the API
                # there (or a server that is going down), so the short budget applies.
                raise _Retryable(
                    TransportError(
                        f"{subject}: connection failed ({_short(exc)})",
                        sent=not unsent,
                    ),
                    unreachable=unsent or response is None,
                ) from None
            except _BodyTooLarge:
                # Not a passing fault: the same call gets the same answer again.
                raise TransportError(
                    f"{subject}: answer larger than {MAX_BODY_BYTES} bytes"
                ) from None
            if limit.fired:  # the body ended because its connection was shut
                raise self._too_slow(subject)
        request_id = _request_id(response.headers)
        status = response.status_code
        self.pacer.observe(response.headers)
        logger.debug(
            redact(
                f"{subject} -> {status} in {(time.monotonic() - started) * 1000:.0f} ms "
                f"({kind}, request id {request_id or '-'})"
            )
        )
        if status == 429:
            self.stats.count(RATE_LIMITED)
            error = _error_from(subject, status, content, response.headers, RateLimitError)
            raise _Throttled(error, rate_limit_wait(response.headers, self._clock()))
        if 300 <= status < 400:
            raise ApiError(
                f"{subject}: unexpected redirect, not followed",
                status=status,
                request_id=request_id,
            )
        if status >= 400:
            error = _error_from(subject, status, content, response.headers, ApiError)
            if status >= 500 or status == 408:
                raise _Retryable(error)
            raise error
        try:
            data = json.loads(content) if content.strip() else None
        except (ValueError, RecursionError):
            raise _Retryable(
                UnreadableAnswer(
                    f"{subject}: unreadable answer (HTTP {status}, "
                    f"{_content_type(response.headers)}, {len(content)} bytes, not JSON)",
                    request_id=request_id,
                ),
                unreachable=True,
            ) from None
        return Answer(status=status, data=data, request_id=request_id, headers=response.headers)


def _no_credentials(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


class _BodyTooLarge(Exception):
    pass


def _check_status(subject: str, response: requests.Response) -> None:
    """Refuse what no HTTP server sends (a status outside 100-599) and a body announced
    larger than we read, before reading anything."""
    status = response.status_code
    if not 100 <= status <= 599:
        raise TransportError(
            f"{subject}: answered with status {status}, which is not an HTTP status "
            "(100-599); is SB_API_ENDPOINT (or the profile's api_endpoint) right?",
            status=status,
            request_id=_request_id(response.headers),
        )
    announced = response.headers.get("Content-Length", "").strip()
    if announced.isdigit() and int(announced) > MAX_BODY_BYTES:
        raise _BodyTooLarge


class _TooSlow(Exception):
    pass


def _read_capped(response: requests.Response, deadline: float) -> bytes:
    """The body, at most MAX_BODY_BYTES, by `deadline` (monotonic). `read1` returns after one
    socket read, so the deadline is checked however slowly the bytes come."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise _TooSlow
        chunk = response.raw.read1(64 * 1024, decode_content=True)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _BodyTooLarge
        chunks.append(chunk)


def _error_from(
    subject: str,
    status: int,
    content: bytes,
    headers: Mapping[str, str],
    cls: type[ApiError],
) -> ApiError:
    """The API's error body (`status`, `code`, `message`) as one of our errors, whatever
    arrived: a proxy's HTML page, nothing, or JSON of the wrong shape."""
    request_id = _request_id(headers)
    code: int | None = None
    message = ""
    try:
        data = json.loads(content) if content.strip() else None
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        raw_code = data.get("code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        raw_message = data.get("message")
        message = raw_message if isinstance(raw_message, str) else ""
    if not message:
        message = (
            "no error message"
            if not content.strip()
            else f"no readable error body ({_content_type(headers)}, {len(content)} bytes)"
        )
    if status == 503 and code == MAINTENANCE_CODE and cls is ApiError:
        cls = MaintenanceError
        message = f"platform in maintenance: {message}"
    if status == 401:
        message += " (check the token: SB_AUTH_TOKEN or the credentials file)"
    return cls(f"{subject}: {_one_line(message)}", status=status, code=code, request_id=request_id)


def _as_write_failure(error: ApiError) -> TransportError:
    """A write that failed without a definite refusal may or may not have taken effect."""
    if isinstance(error, TransportError):
        return error
    return TransportError(
        f"{error.api_message} (the call may have taken effect)",
        status=error.status,
        code=error.code,
        request_id=error.request_id,
    )


def _request_id(headers: Mapping[str, str]) -> str | None:
    value = headers.get("X-Request-Id")
    return _one_line(value)[:100] if value else None


def _one_line(text: str) -> str:
    text = redact(" ".join(text.split()))
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _short(exc: BaseException) -> str:
    # A connection the server closed or reset: urllib3 wraps it in a tuple of reprs.
    for cause in _chain(exc):
        if isinstance(cause, http.client.RemoteDisconnected):
            return "the server closed the connection without an answer"
        if isinstance(cause, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
            return f"the server {_CLOSED_BY[type(cause)]} the connection"
    # The system's own words, without urllib3's wrapping of them ("NewConnectionError:
    # <connection object>: Failed to establish a new connection: [Errno 111] ...").
    for cause in _chain(exc):
        if type(cause).__module__ in ("builtins", "socket") and getattr(cause, "strerror", None):
            return _one_line(str(cause.strerror))  # type: ignore[attr-defined]
    # requests nests urllib3 reasons several levels deep; the innermost says what happened.
    inner: BaseException = exc
    while inner.args and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    reason = getattr(inner, "reason", None)
    if isinstance(reason, BaseException):
        inner = reason
    return _one_line(f"{type(inner).__name__}: {inner}" if str(inner) else type(inner).__name__)


_CLOSED_BY: dict[type[BaseException], str] = {
    ConnectionResetError: "reset",
    ConnectionAbortedError: "aborted",
    BrokenPipeError: "closed",
}


def _content_type(headers: Mapping[str, str]) -> str:
    return (headers.get("Content-Type") or "no content type").split(";")[0].strip()


def _not_sent(exc: BaseException) -> bool:
    """Whether the request failed before a byte of it was written: no connection could be
    made (refused, no route, the name does not resolve). Anything later may have reached the
    server, however fast it failed."""
    unsent = (
        urllib3.exceptions.NewConnectionError,
        urllib3.exceptions.NameResolutionError,
        urllib3.exceptions.ConnectTimeoutError,
        ConnectionRefusedError,
        socket.gaierror,
    )
    return any(isinstance(e, unsent) for e in _chain(exc))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it wraps (args, urllib3's `reason`, causes and contexts)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        if isinstance(reason, BaseException):
            stack.append(reason)
        stack.extend((current.__cause__, current.__context__))
