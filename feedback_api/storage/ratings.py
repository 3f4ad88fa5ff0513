"""Owns every SQL statement that reads page ratings for staff ("Was this page helpful?"): per
page and language with the least helpful first, per day for the over-time view, the comments
(searchable, paged), the export (no client hash, no id: nothing that points at a person), and
the one-line summary for the dashboard. Ratings are written by submissions.insert_rating."""
from __future__ import annotations

from sqlite_utils import Database

MAX_PAGES = 200


def _where(filters: dict) -> tuple[str, list]:
    clauses, params = ["created_at >= ?"], [filters["since"] + "T00:00:00Z"]
    if filters.get("language"):
        clauses.append("language = ?")
        params.append(filters["language"])
    if filters.get("page"):
        clauses.append("page = ?")
        params.append(filters["page"])
    for word in (filters.get("q") or "").split()[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("comment LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return " AND ".join(clauses), params


def by_page(db: Database, filters: dict) -> list[dict]:
    """Per page and language: helpful, unhelpful, the unhelpful share (per cent, whole), the
    worst share first; among equal shares the most ratings first."""
    where, params = _where(filters)
    rows = db.conn.execute(
        "SELECT page, language, sum(helpful), count(*) - sum(helpful), count(*) FROM ratings"
        f" WHERE {where} GROUP BY page, language"
        " ORDER BY (count(*) - sum(helpful)) * 1.0 / count(*) DESC, count(*) DESC, page, language"
        " LIMIT ?", [*params, MAX_PAGES]).fetchall()
    return [{"page": page, "language": language, "helpful": helpful, "unhelpful": unhelpful, "total": total,
             "unhelpful_share": round(100 * unhelpful / total)}
            for page, language, helpful, unhelpful, total in rows]


def by_day(db: Database, filters: dict) -> dict[str, tuple[int, int]]:
    """Day (UTC, YYYY-MM-DD) -> (helpful, unhelpful)."""
    where, params = _where(filters)
    return {day: (helpful, total - helpful) for day, helpful, total in db.conn.execute(
        f"SELECT substr(created_at, 1, 10), sum(helpful), count(*) FROM ratings WHERE {where}"
        " GROUP BY substr(created_at, 1, 10)", params)}


def totals(db: Database, filters: dict) -> dict:
    where, params = _where(filters)
    total, helpful, comments = db.conn.execute(
        "SELECT count(*), COALESCE(sum(helpful), 0), count(NULLIF(trim(COALESCE(comment, '')), ''))"
        f" FROM ratings WHERE {where}", params).fetchone()
    return {"total": total, "helpful": helpful, "unhelpful": total - helpful, "comments": comments,
            "helpful_share": round(100 * helpful / total) if total else 0}


def comments(db: Database, filters: dict, limit: int, offset: int) -> tuple[list[dict], int]:
    where, params = _where(filters)
    where += " AND comment IS NOT NULL AND trim(comment) != ''"
    total = db.conn.execute(f"SELECT count(*) FROM ratings WHERE {where}", params).fetchone()[0]
    cursor = db.conn.execute(
        f"SELECT page, language, helpful, comment, created_at FROM ratings WHERE {where}"
        " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()], total


def pages(db: Database, since: str) -> list[str]:
    """Rated pages for the filter's drop-down, most rated first."""
    return [r[0] for r in db.conn.execute(
        "SELECT page FROM ratings WHERE created_at >= ? GROUP BY page ORDER BY count(*) DESC, page LIMIT 300",
        [since + "T00:00:00Z"])]


def export_rows(db: Database, filters: dict, batch: int = 1000):
    """Every rating under the filters, oldest first, without client hash or id: the column
    names, then lists of up to `batch` rows (memory stays flat however many)."""
    where, params = _where(filters)
    cursor = db.conn.execute(
        f"SELECT created_at, page, language, helpful, comment FROM ratings WHERE {where} ORDER BY created_at, id",
        params)
    yield [d[0] for d in cursor.description]
    while rows := cursor.fetchmany(batch):
        yield rows


def summary(db: Database, since: str, min_ratings: int = 5) -> dict:
    """For the dashboard: how many ratings, on how many pages, the helpful share, and the least
    helpful page among those with at least `min_ratings` (a single "no" is not a finding)."""
    filters = {"since": since}
    overall = totals(db, filters)
    count = db.conn.execute("SELECT count(DISTINCT page) FROM ratings WHERE created_at >= ?",
                            [since + "T00:00:00Z"]).fetchone()[0]
    worst = next((r for r in by_page(db, filters) if r["total"] >= min_ratings and r["unhelpful"]), None)
    return {**overall, "pages": count, "worst": worst}
