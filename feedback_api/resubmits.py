"""Owns telling a resubmission from a new submission. What the duplicate check is for: a browser
that sends the same form twice (a double tap, a retry over 2G after the answer was lost) gets
the reference it was given the first time, and nothing is stored twice.

What it must never do: merge two people. Many people share one address (carrier NAT is the
norm in Pakistan, and town-hall meetings share one phone's hotspot), so the address and the
text are not enough. A submission is a resend of an earlier one (within
DUPLICATE_WINDOW_SECONDS) only when every field is the same and either
- it carries the same `submission_key`: a random key the form got when it was shown (the
  service's own form pages put one in; the site's forms.js adds one before it sends), which
  only that browser has; or
- without a key (the static site's form with JavaScript off), it comes from the same address
  and names the same person (the same name or contact, given): two people do not.
Two anonymous people on one address sending the same words are two submissions.
The result is an HMAC under the secret key: the stored value tells nothing about its parts."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from flask import current_app

FIELDS = ("kind", "component", "language", "page", "district", "name", "contact", "consent_to_contact")


def new_key() -> str:
    """A key for a form about to be shown: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def resubmit_hash(clean: dict, message_hash: str, client: str) -> str | None:
    """What an exact resend of this submission would share with it, or None when nothing can
    say that two sends are one person's (then every send is stored on its own)."""
    same = [message_hash, *(clean.get(field) for field in FIELDS)]
    if clean.get("submission_key"):
        basis = ["key", clean["submission_key"], *same]
    elif clean.get("name") or clean.get("contact"):
        basis = ["person", client, *same]
    else:
        return None
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    data = json.dumps(basis, ensure_ascii=False).encode("utf-8")
    return hmac.new(key, b"resubmit:" + data, hashlib.sha256).hexdigest()[:32]
