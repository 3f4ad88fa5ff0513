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


def _cleaned(parts):
    """Column names, then each row as a list with free text masked and (for CSV) each cell
    neutralised: what the queue's export has SQLite do (storage/moderation.export_rows)."""
    names = next(parts)
    yield names
    masked = [i for i, name in enumerate(names) if name in FREE_TEXT]
    for rows in parts:
        batch = []
        for row in rows:
            row = list(row)
            for i in masked:
                row[i] = text.mask_numbers(row[i])
            batch.append(row)
        yield batch


def csv_stream(parts, prepared: bool = False):
    """CSV of `parts` (column names, then batches of rows), every cell quoted (OWASP). With
    `prepared`, each batch is CSV text already, masked and neutralised (SQLite wrote its lines:
    storage/moderation.export_rows with `lines`); else free text is masked and each cell
    neutralised here. One chunk per batch: one per row made the export CPU-bound."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    if not prepared:
        parts = _cleaned(parts)
    writer.writerow(next(parts))
    yield "\ufeff" + buffer.getvalue()  # the BOM: spreadsheets then read the file as UTF-8
    if prepared:
        yield from parts
        return
    for batch in parts:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([text.neutral_cell(v) for v in row] for row in batch)
        yield buffer.getvalue()


def json_stream(parts, prepared: bool = False):
    """JSON: a list of objects; free text masked unless `prepared` (masked already)."""
    if not prepared:
        parts = _cleaned(parts)
    names = next(parts)
    yield "["
    first = True
    for batch in parts:
        chunk = []
        for row in batch:
            chunk.append(("" if first else ",") + "\n" + json.dumps(dict(zip(names, row)), ensure_ascii=False))
            first = False
        yield "".join(chunk)
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
    rows = sm.export_rows(db, filters, viewer(), personal, neutral=fmt == "csv", lines=fmt == "csv")
    first = next(rows, None)
    rows = itertools.chain([first] if first is not None else [], rows)
    audit.append(db, viewer()["id"], "export", None, None,
                 {"format": fmt, "personal": personal, "filters": {k: v for k, v in filters.items() if v}})
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%MZ")
    if fmt == "csv":
        body, mimetype = csv_stream(rows, prepared=True), "text/csv"
    else:
        body, mimetype = json_stream(rows, prepared=True), "application/json"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="feedback-{stamp}.{fmt}"'
    return response
