"""Owns rate limiting (flask-limiter) and the keyed hash that stands in for a client address."""
from __future__ import annotations

import hashlib
import hmac
import threading

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.constants import ConfigVars
from limits.storage import MemoryStorage


def client_hash() -> str:
    """HMAC-SHA256 of the client address under the secret key: the raw address is never
    stored (not in the database, not in Redis), yet the same client gets the same value."""
    cached = g.get("client_hash")
    if cached is None:  # the limiter and the view both ask: compute once per request
        address = request.remote_addr or "unknown"
        key = current_app.config["SECRET_KEY"].encode("utf-8")
        cached = g.client_hash = hmac.new(key, b"client:" + address.encode("utf-8"),
                                          hashlib.sha256).hexdigest()[:32]
    return cached


class PacedMemoryStorage(MemoryStorage):
    """In-process counters like memory://, swept for expired entries once a minute.

    limits' MemoryStorage (5.8) starts a sweep of EVERY key 10 ms after each hit. With one
    key per client and limit, a busy service holds tens of thousands of keys, and the sweep
    then held the GIL most of the time: at the default limits the submission rate fell from
    650/s to 390/s and p99 rose to 300 ms (benchmarks/api_load.py). Once a second was still
    too often: the default limits keep a client's keys for an hour, and 50,000 clients in an
    hour (100,000 keys) cost 240 ms a sweep, a quarter of a core. Once a minute it is 0.4 %.
    Hits check timestamps themselves, so sweeping less often only frees memory later (a
    client's entries, at most 100 timestamps, up to a minute late); the counting is unchanged.
    URI: memory-paced:// (the default); plain memory:// remains the upstream behaviour."""

    STORAGE_SCHEME = ["memory-paced"]
    SWEEP_SECONDS = 60.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # overrides the private upstream method
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


# Module level, with the limits read from config at request time: views live in module-level
# blueprints, so building several apps (tests) does not register the limits twice (docs/dev/0005).
limiter = Limiter(client_hash)
# flask-limiter's settings for limits on every route. The service sets none of them (each
# route names its own limit), and its settings schema offers none.
_EVERY_ROUTE = (ConfigVars.DEFAULT_LIMITS, ConfigVars.APPLICATION_LIMITS, ConfigVars.META_LIMITS)


def init_app(app: Flask) -> None:
    """The limiter on `app`, each route's limits checked once per request.

    flask-limiter checks limits twice per request: in a before_request hook (default,
    application and meta limits, and limits put on a whole blueprint) and in each route's own
    decorator. With none of the former, the hook only works out that it has nothing to count,
    which was a quarter of the limiter's cost on the submission route and its whole cost on
    every other route (benchmarks/submission_path.md). The decorators count as before. (No
    blueprint here has a limit of its own: `limiter.limit` decorates routes only.)"""
    limiter.init_app(app)
    if any(app.config.get(name) for name in _EVERY_ROUTE):
        return
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]


def submissions_limit() -> str:
    return current_app.config["LIMIT_SUBMISSIONS"]


def ratings_limit() -> str:
    return current_app.config["LIMIT_RATINGS"]


def lookups_limit() -> str:
    return current_app.config["LIMIT_LOOKUPS"]
