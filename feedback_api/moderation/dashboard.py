"""Owns the dashboard: figures from storage.moderation.dashboard turned into server-rendered
SVG bars (no chart library, no script): submissions per week (open, answered, closed), per
component, kind, language, district and channel week by week, median time to first answer and
the oldest waiting. Admins' figures include sensitive cases; moderators' do not."""
from __future__ import annotations

import datetime as dt

from flask import request

from .. import i18n, storage
from ..storage import moderation as sm, ratings as storage_ratings
from ..urls import whole_number
from . import bp, locale, security
from .views import render

DIMENSIONS = (("component", "Component"), ("kind", "Kind"), ("language", "Language"),
              ("district", "District"), ("channel", "Channel"))
MAX_ROWS = 12


def week_starts(weeks: int, today: dt.date | None = None) -> list[str]:
    today = today or dt.datetime.now(dt.timezone.utc).date()
    monday = today - dt.timedelta(days=today.weekday())
    return [(monday - dt.timedelta(weeks=n)).isoformat() for n in range(weeks - 1, -1, -1)]


def label(dim: str, value: str) -> str:
    ui = locale.current()
    if dim == "component":
        return i18n.t(ui, f"components.{value}") if value else value
    if dim == "kind":
        return i18n.t(ui, f"kinds.{value}") if value else value
    if dim == "language":
        return f"{i18n.t(value, 'meta.name')} ({value})" if value in i18n.languages() else value
    if dim == "channel":
        return locale.mt(f"channels.{value}") if value else value
    return value or locale.mt("dashboard.not_given")


def build(weeks: int) -> dict:
    starts = week_starts(weeks)
    stats = sm.dashboard(storage.get_db(), starts[0], include_sensitive=security.is_admin())
    per_week = [{"week": w, "total": stats["weeks"].get(w, 0),
                 "open": stats["open_by_week"].get(w, 0),
                 "answered": stats["answered_by_week"].get(w, 0)} for w in starts]
    for item in per_week:
        item["closed"] = item["total"] - item["open"] - item["answered"]
    week_max = max([w["total"] for w in per_week] + [1])
    tables = []
    for dim, title in DIMENSIONS:
        rows = []
        for value, counts in stats["by_dim"][dim].items():
            series = [counts.get(w, 0) for w in starts]
            rows.append({"label": label(dim, value), "series": series, "total": sum(series)})
        rows.sort(key=lambda r: (-r["total"], r["label"]))
        shown, rest = rows[:MAX_ROWS], rows[MAX_ROWS:]
        if rest:
            series = [sum(r["series"][i] for r in rest) for i in range(len(starts))]
            shown.append({"label": f"{len(rest)} others", "series": series, "total": sum(series)})
        cell_max = max([v for r in shown for v in r["series"]] + [1])
        total_max = max([r["total"] for r in shown] + [1])
        tables.append({"dim": dim, "title": title, "rows": shown, "cell_max": cell_max,
                       "total_max": total_max})
    return {"starts": starts, "per_week": per_week, "week_max": week_max, "tables": tables,
            "stats": stats}


@bp.get("/dashboard")
def dashboard():
    weeks = whole_number(request.args.get("weeks"), 1, 52, default=8)
    data = build(weeks)
    hours = data["stats"]["median_hours_to_answer"]
    median = None if hours is None else locale.duration(hours * 3600)
    ratings_line = storage_ratings.summary(storage.get_db(), data["starts"][0])
    return render("dashboard.html", weeks=weeks, median=median, ratings_line=ratings_line, **data)
