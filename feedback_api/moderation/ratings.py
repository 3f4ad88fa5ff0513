"""Owns the page ratings view for staff: "Was this page helpful?" per page and language (the
worst share first), week by week, the comments (masked like messages, searchable, paged) and
the export without personal data (CSV/JSON; a rating holds no name, and the client hash and
id are left out). Any signed-in member of staff may read it; each export is audited."""
from __future__ import annotations

import datetime as dt
import math

from flask import Response, abort, request, stream_with_context

from .. import i18n, storage
from ..storage import audit, ratings as storage_ratings
from ..urls import whole_number
from . import bp, dashboard
from .export import csv_stream, json_stream
from .views import page_size, render, search_words, viewer

WEEKS = (4, 8, 13, 26, 52)


def parse_filters(args) -> dict:
    weeks = whole_number(args.get("weeks"), 1, 52, default=8)
    weeks = weeks if weeks in WEEKS else 8
    starts = dashboard.week_starts(weeks)
    page = (args.get("page") or "").strip()[:300]
    return {"weeks": weeks, "since": starts[0], "starts": starts,
            "language": args.get("language") if args.get("language") in i18n.languages() else None,
            "page": page if page.startswith("/") else None, "q": search_words(args.get("q"))}


def query(filters: dict) -> dict:
    """The filters as URL arguments (defaults left out)."""
    return {k: v for k, v in {"weeks": filters["weeks"] if filters["weeks"] != 8 else None,
                              "language": filters["language"], "page": filters["page"],
                              "q": filters["q"]}.items() if v}


def per_week(days: dict[str, tuple[int, int]], starts: list[str]) -> list[dict]:
    weeks = {w: [0, 0] for w in starts}
    for day, (helpful, unhelpful) in days.items():
        date = dt.date.fromisoformat(day)
        monday = (date - dt.timedelta(days=date.weekday())).isoformat()
        if monday in weeks:
            weeks[monday][0] += helpful
            weeks[monday][1] += unhelpful
    return [{"week": w, "helpful": h, "unhelpful": u} for w, (h, u) in weeks.items()]


@bp.get("/ratings")
def ratings():
    filters = parse_filters(request.args)
    db = storage.get_db()
    cpage = whole_number(request.args.get("cpage"), 1, 99999, default=1)
    comments, comments_total = storage_ratings.comments(db, filters, page_size(), (cpage - 1) * page_size())
    return render("ratings.html", filters=filters, pages=storage_ratings.by_page(db, filters),
                  weeks=per_week(storage_ratings.by_day(db, filters), filters["starts"]),
                  totals=storage_ratings.totals(db, filters), comments=comments,
                  comments_total=comments_total, comment_page=cpage,
                  comment_pages=max(1, math.ceil(comments_total / page_size())),
                  page_choices=storage_ratings.pages(db, filters["since"]), export_args=query(filters))


@bp.get("/ratings.<fmt>")
def ratings_export(fmt):
    if fmt not in ("csv", "json"):
        abort(404)
    filters = parse_filters(request.args)
    db = storage.get_db()
    audit.append(db, viewer()["id"], "export_ratings", None, None, {"format": fmt, "filters": query(filters)})
    rows = storage_ratings.export_rows(db, filters)
    body = csv_stream(rows) if fmt == "csv" else json_stream(rows)
    response = Response(stream_with_context(body), mimetype="text/csv" if fmt == "csv" else "application/json")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%MZ")
    response.headers["Content-Disposition"] = f'attachment; filename="page-ratings-{stamp}.{fmt}"'
    return response
