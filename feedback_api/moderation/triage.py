"""Owns triage at volume in moderation: duplicate groups (the list, largest first; one group's
page; one answer published to every open member), claims on a submission or a group (who
holds it, for how long; refused while another holds it), and what the submission page shows
of both (with the published answers most like it, each one click from the answer box).
All SQL is in storage/triage.py; sensitive cases are never grouped for answering (an admin
answers each alone)."""
from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for

from .. import i18n, storage, text, validation
from ..storage import triage
from ..urls import SQLITE_MAX_INTEGER, whole_number
from . import bp, locale
from .views import page_size, render, viewer

MEMBERS_SHOWN = 50


def claim_minutes() -> int:
    return int(current_app.config["MODERATION_CLAIM_MINUTES"])


def held_message(claim: dict) -> str:
    """Why something cannot be taken or answered: who holds it and until when."""
    key = "triage.held_group" if claim["kind"] == "group" else "triage.held_submission"
    return locale.mt(key, user=claim["username"], until=locale.local(claim["expires_at"]))


def reply_from() -> dict | None:
    """The published answer named by ?reply_from= (to start this answer from), if reusable."""
    answer_id = whole_number(request.args.get("reply_from"), 1, SQLITE_MAX_INTEGER)
    return triage.published_answer(storage.get_db(), answer_id) if answer_id else None


def submission_context(row: dict) -> dict:
    """What the submission page shows of triage: similar answers, claims, its group."""
    db = storage.get_db()
    return {"similar": triage.similar_answers(db, row), "claims": triage.holders(db, row),
            "group": None if row["sensitive"] else triage.group_of(db, row),
            "claim_minutes": claim_minutes()}


# ---------------------------------------------------------------- groups

def load_group(key: int) -> dict:
    group = triage.group(storage.get_db(), key, 0)
    if group is None:
        abort(404)
    return group


@bp.get("/groups")
def groups():
    """Groups of two or more open submissions with the same words, largest first; paged by
    position (after= the last group's key, n= its size), never by offset."""
    after_key = whole_number(request.args.get("after"), 1, SQLITE_MAX_INTEGER)
    after_n = whole_number(request.args.get("n"), 2, SQLITE_MAX_INTEGER)
    after = (after_n, after_key) if after_key and after_n else None
    db = storage.get_db()
    rows, more = triage.groups(db, 0, page_size(), after)
    keys = [r["key"] for r in rows]
    claims = triage.claims_on(db, [], keys)
    return render("groups.html", groups=rows, more=more, after=after, claims=claims)


def group_page(group: dict, status: int = 200, typed: dict | None = None, error: str | None = None,
               message: str | None = None):
    db = storage.get_db()
    members = triage.members(db, group["key"], 0, MEMBERS_SHOWN)
    sample = next((m for m in members if m["status"] in ("new", "in_review")), members[0] if members else None)
    reply = reply_from()
    answer_lang = (typed or {}).get("language") or (reply or {}).get("language") or (sample or {}).get("language")
    if answer_lang not in i18n.languages():
        answer_lang = i18n.DEFAULT_LANGUAGE
    similar = triage.similar_answers(db, {**sample, "id": 0}) if sample else []
    claim = triage.holder(db, "group", group["key"])
    return render("group.html", group=group, members=members, sample=sample, similar=similar, claim=claim,
                  answer_lang=answer_lang, draft=(typed or {}).get("body") or (reply or {}).get("body") or "",
                  error=error, message=message, claim_minutes=claim_minutes(),
                  answer_max=triage.GROUP_ANSWER_MAX), status


GROUP_MESSAGES = ("claimed", "released", "group_answered")


@bp.get("/groups/<int:key>")
def group(key):
    group = load_group(key)
    done = request.args.get("done")
    message = None
    if done in GROUP_MESSAGES:
        values = {k: whole_number(request.args.get(k), 0, 10**9, 0) for k in ("answered", "held", "remaining")}
        message = locale.mt(f"triage.{done}", **values)
    return group_page(group, message=message)


@bp.post("/groups/<int:key>/claim")
def claim_group(key):
    group = load_group(key)
    db = storage.get_db()
    first = triage.members(db, key, 0, 1)
    anchor = first[0]["id"] if first else None
    if request.form.get("action") == "release":
        triage.release(db, "group", key, viewer()["id"], anchor)
        return redirect(url_for("moderation.group", key=key, done="released"), 303)
    result = triage.claim(db, "group", key, viewer()["id"], claim_minutes(), anchor)
    if "held_by" in result:
        return group_page(group, 409, error=held_message(result["held_by"]))
    return redirect(url_for("moderation.group", key=key, done="claimed"), 303)


@bp.post("/groups/<int:key>/answer")
def answer_group(key):
    """Publish one answer to every open member (each audited as if answered alone)."""
    group = load_group(key)
    form = request.form
    typed = {"body": form.get("body") or "", "language": form.get("language")}
    from .submission import ANSWER_MAX_CHARS, ANSWER_PROBLEMS

    body, problem = validation.clean_text(form.get("body"), ANSWER_MAX_CHARS, multiline=True)
    if problem or not body:
        return group_page(group, 400, typed, locale.mt(f"invalid.answer_{ANSWER_PROBLEMS.get(problem, 'empty')}",
                                                        max=ANSWER_MAX_CHARS))
    if typed["language"] not in i18n.languages():
        return group_page(group, 400, typed, locale.mt("invalid.language"))
    result = triage.answer_group(storage.get_db(), key, viewer()["id"], text.mask_numbers(body), typed["language"])
    if "held_by" in result:
        return group_page(group, 409, typed, held_message(result["held_by"]))
    return redirect(url_for("moderation.group", key=key, done="group_answered", **result), 303)


# ---------------------------------------------------------------- a submission's claim

@bp.post("/submissions/<reference>/claim")
def claim_submission(reference):
    from .submission import back, load, page

    row = load(reference)
    db = storage.get_db()
    if request.form.get("action") == "release":
        triage.release(db, "submission", row["id"], viewer()["id"], row["id"])
        return back(row, "released")
    result = triage.claim(db, "submission", row["id"], viewer()["id"], claim_minutes(), row["id"],
                          group_key=row["group_key"])
    if "held_by" in result:
        return page(row, 409, errors={"claim": held_message(result["held_by"])})
    return back(row, "claimed")
