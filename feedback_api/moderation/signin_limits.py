"""Owns the limits on failed sign-ins, made so that strangers cannot lock a moderator out.
Settings: the LIMIT_SIGN_IN_* keys (feedback_api/config.py).

Only failures count. Three counters, in the limiter's storage (memory, or Redis shared by
every worker), keyed by hashes (never a raw address or name):
- per address (LIMIT_SIGN_IN_ADDRESS): one address trying many names is stopped (429);
- per address and name (LIMIT_SIGN_IN_ADDRESS_USER): one address guessing one name is stopped;
- per name from anywhere (LIMIT_SIGN_IN_USER): past it, the name is "under attack" and is
  slowed, never locked: each address that has not signed in as this user before may fail only
  LIMIT_SIGN_IN_ADDRESS_USER_SLOWED for it. Strangers on other addresses cannot use up the
  owner's tries: the owner's own address has its own count, and a browser the owner signed in
  from before (a signed cookie) is never slowed.
A lock and a slow-down are written to the audit log when they begin; an admin can clear both
for a user (users page, or `flask --app feedback_api clear-sign-in-limits NAME`), which is
audited too. Clearing bumps a per-name generation that is part of every key of that name.
"""
from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many

from .. import storage
from ..limits import client_hash, limiter
from ..storage import audit, moderation as sm

KNOWN_COOKIE = "moderation_known"  # "__Host-moderation_known" where cookies are secure
_GENERATION_SECONDS = 2 * 86400  # longer than the longest window above


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED"))


def _name_hash(username: str) -> str:
    name = " ".join((username or "").split()).casefold()[:100]
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, b"sign-in-name:" + name.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _generation(name_hash: str) -> int:
    return int(limiter.storage.get(f"sign-in-generation/{name_hash}") or 0)


def _items(setting: str):
    return parse_many(str(current_app.config[setting]))


class Attempt:
    """One sign-in attempt for `username` from this request's address."""

    def __init__(self, username: str):
        self.username = username
        self.name = _name_hash(username)
        if not enabled():  # limits off (tests, or an operator's choice): nothing is counted
            return
        generation = f"{_generation(self.name)}.{_generation('*')}"
        self.address_key = f"sign-in-address/{_generation('*')}/{client_hash()}"
        self.pair_key = f"sign-in-pair/{generation}/{self.name}/{client_hash()}"
        self.name_key = f"sign-in-name/{generation}/{self.name}"
        self.strategy = limiter.limiter

    def _open(self, setting: str, key: str) -> bool:
        return all(self.strategy.test(item, key) for item in _items(setting))

    def _wait(self, setting: str, key: str) -> int:
        resets = [self.strategy.get_window_stats(item, key).reset_time for item in _items(setting)
                  if not self.strategy.test(item, key)]
        return max(1, int(max(resets) - time.time())) if resets else 0

    def under_attack(self) -> bool:
        if not enabled():
            return False
        return not self._open("LIMIT_SIGN_IN_USER", self.name_key)

    def slowed(self) -> bool:
        return self.under_attack() and not known_browser(self.username)

    def _checks(self) -> list[tuple[str, str]]:
        checks = [("LIMIT_SIGN_IN_ADDRESS", self.address_key), ("LIMIT_SIGN_IN_ADDRESS_USER", self.pair_key)]
        if self.slowed():
            checks.append(("LIMIT_SIGN_IN_ADDRESS_USER_SLOWED", self.pair_key))
        return checks

    def wait_seconds(self) -> int:
        """0 if this attempt may go ahead, else how long until it may."""
        if not enabled():
            return 0
        return max([self._wait(setting, key) for setting, key in self._checks()] + [0])

    def failed(self) -> None:
        """Count a failure; audit a lock or a slow-down at the moment it begins."""
        if not enabled():
            return
        before_attack = self.under_attack()
        before = {setting: self._open(setting, key) for setting, key in self._checks()}
        for setting, key in (("LIMIT_SIGN_IN_ADDRESS", self.address_key),
                             ("LIMIT_SIGN_IN_ADDRESS_USER", self.pair_key),
                             ("LIMIT_SIGN_IN_ADDRESS_USER_SLOWED", self.pair_key),
                             ("LIMIT_SIGN_IN_USER", self.name_key)):
            for item in _items(setting):
                self.strategy.hit(item, key)
        user = sm.user_by_name(storage.get_db(), self.username.strip().lower()) if self.username else None
        who = user["username"] if user else "(no such user)"
        if not before_attack and self.under_attack():
            audit.append(storage.get_db(), None, "sign_in_slowed", None, None,
                     {"user": who, "limit": current_app.config["LIMIT_SIGN_IN_USER"]},
                     detail="many failed sign-ins for this name from several addresses")
        for setting, key in self._checks():
            if before.get(setting, True) and not self._open(setting, key):
                scope = "this address" if setting == "LIMIT_SIGN_IN_ADDRESS" else "this address and name"
                audit.append(storage.get_db(), None, "sign_in_locked", None, None,
                         {"user": who, "limit": current_app.config[setting], "scope": scope},
                         detail=f"failed sign-ins: {scope} must wait")


def failures(username: str) -> int:
    """Failed sign-ins for this name (from anywhere) within LIMIT_SIGN_IN_USER's first window."""
    if not enabled():
        return 0
    attempt = Attempt(username)
    item = _items("LIMIT_SIGN_IN_USER")[0]
    return item.amount - attempt.strategy.get_window_stats(item, attempt.name_key).remaining


def clear(username: str | None, by_user: int | None) -> None:
    """Forget the failures counted for `username` (None: for every name and address)."""
    if enabled():
        name = _name_hash(username) if username is not None else "*"
        limiter.storage.incr(f"sign-in-generation/{name}", _GENERATION_SECONDS)
    audit.append(storage.get_db(), by_user, "sign_in_unlock", None, None,
             {"user": username if username is not None else "(everyone)"},
             detail="failed sign-in counts cleared")


# ---------------------------------------------------------------- browsers the owner used

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="moderation-known-browser")


def _cookie_name() -> str:
    # Like the session cookie: __Host- (Secure, Path=/, no Domain) where cookies are secure.
    return ("__Host-" if current_app.config.get("SESSION_COOKIE_SECURE") else "") + KNOWN_COOKIE


def _known_names() -> list[str]:
    raw = request.cookies.get(_cookie_name())
    if not raw:
        return []
    max_age = int(current_app.config["SIGN_IN_KNOWN_BROWSER_DAYS"]) * 86400
    try:
        names = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def known_browser(username: str) -> bool:
    return _name_hash(username) in _known_names()


def remember_browser(response, username: str):
    """After a successful sign-in: this browser is one the user signs in from (name hashes only)."""
    names = [n for n in _known_names() if n != _name_hash(username)]
    names = [_name_hash(username), *names][:5]
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE", False))
    response.set_cookie(_cookie_name(), _serializer().dumps(names), httponly=True, secure=secure,
                        samesite="Lax", path="/",
                        max_age=int(current_app.config["SIGN_IN_KNOWN_BROWSER_DAYS"]) * 86400)
    return response
