"""Owns the public feed, GET /api/v1/feed.json: answers that moderators published and listed
publicly, "you said, we did" changes, and aggregate figures (received, answered, median days to
a first answer; overall, per component, per month). The static site reads it at build time
(hooks/feed.py); anyone may read it.

What it never contains: names, contacts, references, original messages, notes, anything from a
sensitive or spam submission. Free text goes out through `disclosure.public_text` (numbers and
e-mail addresses masked, the submitter's own name and contact cut out) whatever was stored, so
a mistake elsewhere cannot publish them.

Cacheable: a strong ETag of the body, Last-Modified, Cache-Control public; conditional
requests answer 304. The body is also kept in memory for FEED_CACHE_SECONDS, so a crowd of
readers costs one query per interval.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time

import click
from flask import Blueprint, Response, current_app, request
from flask.cli import with_appcontext

from . import i18n, storage
from .disclosure import public_text
from .storage import feed as storage_feed

bp = Blueprint("feed", __name__, url_prefix="/api/v1")

FEED_VERSION = 1

_cache: dict[str, tuple[float, bytes, str | None]] = {}
_cache_lock = threading.Lock()


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(export_feed)


@click.command("export-feed")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_feed(path):
    """Write the public feed to PATH: for a site build on the same machine (one-box mode),
    SITE_FEED=PATH mkdocs build, without the service having to run."""
    doc, _updated = document(storage.get_db())
    with open(path, "w", encoding="utf-8") as out:
        json.dump(doc, out, ensure_ascii=False, sort_keys=True)
    click.echo(f"{len(doc['answers'])} answers and {len(doc['changes'])} changes written to {path}")


def _day(stamp: str | None) -> str | None:
    return stamp[:10] if stamp else None


def document(db) -> tuple[dict, str | None]:
    """The feed document and the moment it last changed."""
    per_language = int(current_app.config["FEED_ANSWERS_PER_LANGUAGE"])
    components = set(i18n.components()) | {"general"}
    answers = [{
        "id": f"answer-{row['id']}",
        "language": row["language"],
        "component": row["component"] if row["component"] in components else "general",
        "question": public_text(row["question"], row["name"], row["contact"]),
        "answer": public_text(row["answer"], row["name"], row["contact"]),
        "published_on": _day(row["published_at"]),
    } for row in storage_feed.feed_answers(db, per_language)]
    changes = [{
        "id": f"change-{row['id']}",
        "component": row["component"],
        "district": public_text(row["district"]),
        "happened_on": row["happened_on"],
        "published_on": _day(row["published_at"]),
        "submissions": row["submissions"],
        "origin": "moderation",
        "texts": {lang: {key: public_text(value) for key, value in text.items()}
                  for lang, text in row["texts"].items()},
    } for row in storage_feed.feed_changes(db)]
    updated = storage_feed.feed_last_modified(db)
    doc = {
        "feed_version": FEED_VERSION,
        "updated_at": updated,
        "languages": list(i18n.languages()),
        "answers": answers,
        "changes": changes,
        "stats": storage_feed.feed_stats(db),
    }
    return doc, updated


def _body() -> tuple[bytes, str | None]:
    key = current_app.config["DATABASE"]
    ttl = float(current_app.config["FEED_CACHE_SECONDS"])
    with _cache_lock:
        hit = _cache.get(key)
        if hit and ttl > 0 and time.monotonic() - hit[0] < ttl:
            return hit[1], hit[2]
    doc, updated = document(storage.get_db())
    body = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    with _cache_lock:
        _cache[key] = (time.monotonic(), body, updated)
    return body, updated


@bp.get("/feed.json")
def feed():
    body, updated = _body()
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    if updated:
        response.last_modified = dt.datetime.strptime(updated, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.timezone.utc)
    response.cache_control.public = True
    response.cache_control.max_age = int(current_app.config["FEED_MAX_AGE_SECONDS"])
    return response.make_conditional(request)


# ---------------------------------------------------------------- OpenAPI (openapi.py merges these)

def openapi_paths() -> dict:
    cache_headers = {
        "ETag": {"schema": {"type": "string"}, "description": "Send back in If-None-Match."},
        "Cache-Control": {"schema": {"type": "string"}},
    }
    return {"/api/v1/feed.json": {"get": {
        "operationId": "getFeed",
        "summary": "Published answers, \"you said, we did\" changes and aggregate figures.",
        "description": "Public and cacheable. Only answers a moderator published and listed "
                       "publicly; never personal data or sensitive cases; CNIC-like and "
                       "phone-like numbers and e-mail addresses masked.",
        "parameters": [
            {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}},
            {"name": "If-Modified-Since", "in": "header", "required": False, "schema": {"type": "string"}},
        ],
        "responses": {
            "200": {"description": "The feed. Also Last-Modified (once anything was published): "
                                   "send it back in If-Modified-Since.", "headers": cache_headers,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Feed"}}}},
            "304": {"description": "Not modified since the ETag or date sent.",
                    "headers": {"ETag": cache_headers["ETag"]}},
        },
    }}}


def openapi_schemas() -> dict:
    languages = list(i18n.languages())
    components = [*i18n.components(), "general"]
    figures = {"received": {"type": "integer", "minimum": 0},
               "answered": {"type": "integer", "minimum": 0},
               "median_days_to_answer": {"type": "number", "nullable": True, "minimum": 0}}
    figure_names = ["received", "answered", "median_days_to_answer"]
    date = {"type": "string", "format": "date", "nullable": True}
    return {
        "Feed": {
            "type": "object",
            "required": ["feed_version", "updated_at", "languages", "answers", "changes", "stats"],
            "properties": {
                "feed_version": {"type": "integer", "enum": [FEED_VERSION]},
                "updated_at": {"type": "string", "nullable": True, "format": "date-time"},
                "languages": {"type": "array", "items": {"type": "string"}},
                "answers": {"type": "array", "items": {"$ref": "#/components/schemas/FeedAnswer"}},
                "changes": {"type": "array", "items": {"$ref": "#/components/schemas/FeedChange"}},
                "stats": {"$ref": "#/components/schemas/FeedStats"},
            },
        },
        "FeedAnswer": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "language", "component", "question", "answer", "published_on"],
            "properties": {
                "id": {"type": "string"}, "language": {"type": "string", "enum": languages},
                "component": {"type": "string", "enum": components},
                "question": {"type": "string"}, "answer": {"type": "string"}, "published_on": date,
            },
        },
        "FeedChange": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "component", "district", "happened_on", "published_on", "submissions",
                         "origin", "texts"],
            "properties": {
                "id": {"type": "string"}, "component": {"type": "string", "enum": components},
                "district": {"type": "string", "nullable": True},
                "happened_on": date, "published_on": date,
                "submissions": {"type": "integer", "minimum": 0,
                                "description": "How many submissions it answers (never which)."},
                "origin": {"type": "string", "enum": ["moderation", "programme_document"]},
                "texts": {"type": "object", "description": "Per language code.",
                          "additionalProperties": {
                              "type": "object", "required": ["said", "done"],
                              "properties": {"said": {"type": "string"}, "done": {"type": "string"},
                                             "place": {"type": "string", "nullable": True}}}},
            },
        },
        "FeedStats": {
            "type": "object",
            "required": ["totals", "by_component", "by_month", "by_component_month"],
            "properties": {
                "totals": {"type": "object", "required": figure_names, "properties": figures},
                "by_component": {"type": "array", "items": {
                    "type": "object", "required": ["component", *figure_names],
                    "properties": {"component": {"type": "string"}, **figures}}},
                "by_month": {"type": "array", "items": {
                    "type": "object", "required": ["month", *figure_names],
                    "properties": {"month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, **figures}}},
                "by_component_month": {"type": "array", "items": {
                    "type": "object", "required": ["component", "month", *figure_names],
                    "properties": {"component": {"type": "string"},
                                   "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, **figures}}},
            },
        },
    }
