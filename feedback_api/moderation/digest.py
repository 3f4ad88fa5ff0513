"""Owns the district digest: one printable page (A4, print stylesheet) for one district and
period, in a chosen site language (Urdu and English above all), for community advisory boards
and town halls: what was heard (counts by programme part and kind, where messages stand, the
most common topic codes), what was answered (how many, how fast, the answers published for
everyone) and what was done ("you said, we did" changes there).

It is meant to be printed and handed out: never a name, contact, reference or original message,
nothing from the sensitive queue or spam, free text masked. Any signed-in member of staff may
print one.
"""
from __future__ import annotations

import datetime as dt

from flask import request

from .. import i18n, storage, text
from ..disclosure import public_text
from ..storage import feed as storage_feed, moderation as sm
from . import bp, coding
from .views import render, valid_date

STATES = ("received", "in_review", "answered", "closed")


def format_date(lang: str, value: str) -> str:
    day = dt.date.fromisoformat(value[:10])
    return f"{day.day} {i18n.t(lang, f'meetings.months.m{day.month}')} {day.year}"


def period(args) -> tuple[str, str]:
    """The dates asked for, else the last 30 days; from <= to."""
    today = dt.datetime.now(dt.timezone.utc).date()
    start = valid_date(args.get("from")) or (today - dt.timedelta(days=30)).isoformat()
    end = valid_date(args.get("to")) or today.isoformat()
    return (start, end) if start <= end else (end, start)


def build(district: str, lang: str, start: str, end: str) -> dict:
    data = storage_feed.digest(storage.get_db(), district, start, end)
    kinds = [k for k in i18n.strings("en")["kinds"] if any(k in row for row in data["by_component_kind"].values())]
    rows = []
    for component in (*i18n.components(), "general"):
        counts = data["by_component_kind"].get(component)
        if counts:
            rows.append({"component": component, "counts": [counts.get(k, 0) for k in kinds],
                         "total": sum(counts.values())})
    states = dict.fromkeys(STATES, 0)
    for status, count in data["by_status"].items():
        states[storage.PUBLIC_STATUS.get(status, status)] = states.get(storage.PUBLIC_STATUS.get(status, status), 0) + count
    labels = coding.topic_codes()
    fallbacks = [code for code in ("ur", i18n.DEFAULT_LANGUAGE) if code != lang]
    changes = []
    for change in data["changes"]:
        for code in (lang, *fallbacks):
            item = change["texts"].get(code)
            if item:
                changes.append({**change, "lang": code, "text": {k: public_text(v) for k, v in item.items()}})
                break
    answers = [{"language": a["language"], "component": a["component"], "published_at": a["published_at"],
                "question": public_text(a["question"], a["name"], a["contact"]),
                "answer": public_text(a["answer"], a["name"], a["contact"])} for a in data["answers"]]
    data = {k: v for k, v in data.items() if k != "answers"}  # names and contacts stay here
    return {"kinds": kinds, "rows": rows, "states": states, "data": data, "changes": changes,
            "answers": answers, "topics": [(code, labels.get(code, code), n) for code, n in data["topics"]],
            "column_totals": [sum(r["counts"][i] for r in rows) for i in range(len(kinds))]}


@bp.get("/digest")
def digest():
    lang = request.args.get("lang") if request.args.get("lang") in i18n.languages() else "ur"
    district = " ".join((request.args.get("district") or "").split())[:100]
    start, end = period(request.args)
    districts = [d for d in sm.districts(storage.get_db()) if not text.bidi_controls(d)
                 and not text.has_masked_number(d)]
    context = {"lang": lang, "district": district, "start": start, "end": end, "districts": districts,
               "tr": lambda key, **values: i18n.t(lang, f"loop.digest.{key}", **values),
               "date": lambda value: format_date(lang, value), "date_in": format_date,
               "dir": i18n.text_direction(lang)}
    if district:
        context.update(build(district, lang, start, end))
        context["today"] = format_date(lang, dt.datetime.now(dt.timezone.utc).date().isoformat())
    return render("digest.html", **context)
