"""Owns the rules for staff passwords: 12 to 200 characters, and not guessable as zxcvbn
(Dropbox's password strength estimator, maintained on PyPI as `zxcvbn`) measures it: common
passwords, keyboard patterns, repeats, dates, dictionary words and the user's own name or the
programme's names are refused unless the whole is still hard to guess. The same rules, and the
same words, for the web (admin: users) and the CLI (create-user, set-password)."""
from __future__ import annotations

import re

from zxcvbn import zxcvbn

MIN_CHARS = 12
MAX_CHARS = 200
# zxcvbn's score 3 is "safely unguessable": about 10^8 guesses or more, far beyond what the
# sign-in limits let anyone try online, and slow offline against a stolen scrypt hash.
MIN_SCORE = 3
# Words anyone attacking this service would try first, beside the user name.
SERVICE_WORDS = ("ehsaas", "bisp", "benazir", "kafalat", "pakistan", "moderation", "moderator",
                 "feedback", "admin", "password")

RULES = (f"at least {MIN_CHARS} characters (at most {MAX_CHARS}), not a common or guessable password: "
         "a few unrelated words, or a long phrase, work well")


def problem(password, username: str | None = None) -> str | None:
    """Why `password` cannot be used (one sentence a person can act on), or None."""
    if not isinstance(password, str) or len(password) < MIN_CHARS:
        return f"The password must have at least {MIN_CHARS} characters."
    if len(password) > MAX_CHARS:
        return f"The password must have at most {MAX_CHARS} characters."
    words = [w for w in (*SERVICE_WORDS, username or "") if len(w) >= 3]
    result = zxcvbn(password, user_inputs=words)
    if result["score"] < MIN_SCORE:
        feedback = result["feedback"]
        reason = feedback.get("warning") or "It would be easy to guess."
        hint = " ".join(feedback.get("suggestions") or []) or "Use a few unrelated words, or a long phrase."
        return f"That password is too easy to guess. {reason} {hint}".strip()
    # zxcvbn counts the user's own name as one cheap word, yet "amina2024!!!" still scores 3:
    # an attacker who knows the name tries it first, so what is left without it must hold.
    rest = re.sub("|".join(map(re.escape, words)), "", password, flags=re.IGNORECASE)
    if rest != password and zxcvbn(rest)["score"] < MIN_SCORE:
        return ("That password is too easy to guess: without the user name and the programme's "
                "names, what is left is weak. Use a few unrelated words, or a long phrase.")
    return None
