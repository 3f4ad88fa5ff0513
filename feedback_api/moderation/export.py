"""Owns exports of the queue's current filter as CSV or JSON. Free text is always masked
(CNIC-like and phone-like numbers), personal data (name, contact) is included only when an
admin asks for it, and every CSV cell is quoted and neutralised against formula injection
(OWASP). Filters it cannot honour are refused (400), never dropped; each export is written to
the audit log once its query has run."""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json

from flask import Response, abort, request, stream_with_context

from .. import storage, text
from ..storage import audit, moderation as sm
from . import bp, security
from .views import error_page, filter_problems, parse_filters, viewer

FREE_TEXT = ("message", "district", "page", "answer", "notes", "comment")
PERSONAL = ("name", "contact", "consent_to_contact")


def _clean(row: dict) -> dict:
    for key in FREE_TEXT:
        if key in row:
            row[key] = text.mask_numbers(row[key])
    return row


def csv_stream(rows, empty_header: str = "reference"):
    """CSV of dict rows, free text masked, every cell quoted and neutralised (OWASP)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    header_done = False
    yield "\ufeff"  # so that spreadsheets read the file as UTF-8 (Urdu stays Urdu)
    for row in rows:
        if not header_done:
            writer.writerow(list(row))
            header_done = True
        writer.writerow([text.neutral_cell(v) for v in _clean(row).values()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if not header_done:
        writer.writerow([empty_header])
        yield buffer.getvalue()


def json_stream(rows):
    yield "["
    first = True
    for row in rows:
        yield ("" if first else ",") + "\n" + json.dumps(_clean(row), ensure_ascii=False)
        first = False
    yield "\n]\n"


@bp.get("/export.<fmt>")
def export(fmt):
    if fmt not in ("csv", "json"):
        abort(404)
    personal = request.args.get("personal") == "1"
    if personal and not security.is_admin():
        abort(403)
    filters = parse_filters(request.args)
    problems = filter_problems(request.args, filters)
    if problems:  # refused before anything is audited or sent: an export holds what was asked
        return error_page(400, "Not exported", "Nothing was exported: " + "; ".join(problems) + ".")
    db = storage.get_db()
    # The query runs (and fails, if it must) before the export is audited and the 200 is sent:
    # a failure then is an error page, not a file cut off mid-stream.
    rows = sm.export_rows(db, filters, viewer(), personal)
    first = next(rows, None)
    rows = itertools.chain([first] if first is not None else [], rows)
    audit.append(db, viewer()["id"], "export", None, None,
                 {"format": fmt, "personal": personal, "filters": {k: v for k, v in filters.items() if v}})
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%MZ")
    if fmt == "csv":
        body, mimetype = csv_stream(rows), "text/csv"
    else:
        body, mimetype = json_stream(rows), "application/json"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="feedback-{stamp}.{fmt}"'
    return response
