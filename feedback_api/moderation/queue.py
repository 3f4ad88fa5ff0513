"""Owns the queue: submissions newest first under filters and a full-text search, paged, with
counts per status, and bulk actions (mark spam, close, set a code) on a selection.
Admins reach the sensitive queue with ?sensitive=1; nobody else ever sees those rows."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import abort, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from .. import storage, text
from ..urls import row_ids
from ..storage import moderation as sm, triage
from . import bp, coding, security
from .views import cursor, page_size, parse_filters, query_args, render, viewer

MAX_BULK = 2000  # one transaction; a bigger wave takes a second click
BULK_ACTIONS = {"spam": {"status": "spam"}, "close": {"status": "closed"},
                "in_review": {"status": "in_review"}}


def district_choices(db) -> list[str]:
    """Districts for the filter's drop-down. Option labels and values cannot hold markup, so a
    district with a direction control or a CNIC/phone-like number is left out (it is junk, and
    the value would put the raw text into the page); search finds such rows."""
    return [d for d in sm.districts(db) if not text.bidi_controls(d) and not text.has_masked_number(d)]


@bp.get("/")
def queue():
    """One page of the queue. Paging is by position in the queue (after=/before= the id of the
    row at the page's edge, last=1 for the end), not by page number: a page deep in a million
    rows costs what the first does."""
    filters = parse_filters(request.args)
    db = storage.get_db()
    after, before, last = cursor("after"), cursor("before"), request.args.get("last") == "1"
    rows, newer, older, counts, capped = sm.queue_and_counts(db, filters, viewer(), page_size(), after=after,
                                                             before=before, last=last)
    here = {"after": after} if after else {"before": before} if before else {"last": "1"} if last else {}
    return render("queue.html", rows=rows, total=counts.get(filters["status"], 0), capped=capped,
                  newer=newer, older=older, filters=filters, counts=counts,
                  districts=district_choices(db), query_args=query_args, marks=triage.queue_marks(db, rows),
                  next_url=url_for("moderation.queue", **here, **query_args(filters)),
                  bulk_done=request.args.get("done"))


@bp.post("/bulk")
def bulk():
    action = request.form.get("action")
    target = security.safe_next(request.form.get("next"), url_for("moderation.queue"))
    if request.form.get("scope") == "all":
        # Every row of the view the form came from (its URL holds the filters): a spam wave
        # is cleared without ticking each box, which needs no JavaScript.
        filters = parse_filters(MultiDict(parse_qsl(urlsplit(target).query)))
        ids = sm.matching_ids(storage.get_db(), filters, viewer(), MAX_BULK)
    else:
        ids = row_ids(request.form.getlist("ids"), MAX_BULK)
    if action == "code":
        code = request.form.get("topic_code")
        if code not in coding.topic_codes():
            abort(400)
        changes = {"topic_code": code}
    elif action in BULK_ACTIONS:
        changes = BULK_ACTIONS[action]
    else:
        abort(400)
    done = sm.bulk_change(storage.get_db(), ids, viewer()["id"], f"bulk_{action}", changes,
                          allow_sensitive=security.is_admin()) if ids else 0
    target = url_for("moderation.queue", **{k: v for k, v in parse_qsl(urlsplit(target).query) if k != "done"}) \
        if urlsplit(target).path == url_for("moderation.queue") else target
    separator = "&" if "?" in target else "?"
    return redirect(f"{target}{separator}done={done}", 303)
