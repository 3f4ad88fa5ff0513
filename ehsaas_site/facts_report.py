"""Owns the programme facts (data/facts.yml) and the official sites (data/official_sites.yml):
checking every entry, turning a fact into what a page shows, and the report of every fact with
its source and age.

    python -m ehsaas_site.facts_report                     # every fact, its source, when checked
    python -m ehsaas_site.facts_report --max-age-months 6  # facts not checked for 6 months: due
    python -m ehsaas_site.facts_report --format markdown   # the same as a table (CI's job summary)
    python -m ehsaas_site.facts_report --fail-on-due       # exit 1 when a fact is due

The report also goes to $GITHUB_STEP_SUMMARY when that is set (GitHub Actions). A problem in
the data (a value without a full source, a missing or future `checked` date, a web address not
on the official list) is listed first and makes the command exit 1; the site's build stops on
the same problems.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from feedback_api.i18n import data_dir

KINDS = ("text", "phone", "sms", "web", "statement")
SOURCE_FIELDS = ("publisher", "title", "url", "published")
# A published date as the source gives it: a day, a month or a year, or an undated page.
PUBLISHED = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$|^undated$")
DEFAULT_MAX_AGE_MONTHS = 12


def load_facts(path: Path | None = None) -> dict:
    path = path or data_dir() / "facts.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def official_domains(path: Path | None = None) -> list[str]:
    path = path or data_dir() / "official_sites.yml"
    return sorted((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("domains") or {})


def is_official(url: str, domains: list[str] | None = None) -> bool:
    """An https (or http) address on an official domain or one of its subdomains."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        return False
    return any(host == d or host.endswith("." + d) for d in (domains or official_domains()))


def has_value(entry) -> bool:
    return isinstance(entry, dict) and entry.get("value") is not None and str(entry["value"]).strip() != ""


def as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def problems(facts: dict, domains: list[str], today: dt.date) -> list[str]:
    """What an editor must fix, one line each, naming the fact and what to do."""
    found = []
    for key, entry in facts.items():
        if not isinstance(entry, dict):
            found.append(f"{key}: write the fact as `value:`, `source:` and `checked:` lines (see the top of data/facts.yml).")
            continue
        kind = entry.get("kind", "text")
        if kind not in KINDS:
            found.append(f"{key}: kind {kind!r} is not one of {', '.join(KINDS)}.")
        if not has_value(entry):
            continue
        source = entry.get("source")
        missing = [f for f in SOURCE_FIELDS if not isinstance(source, dict) or not str(source.get(f) or "").strip()]
        if missing:
            found.append(f"{key}: has a value but its source lacks {', '.join(missing)}. Give the publisher, "
                         "title, address (url) and date published of the page it comes from, or set the value to null.")
        else:
            if not PUBLISHED.match(str(source["published"])):
                found.append(f"{key}: source published {source['published']!r}: write YYYY-MM-DD (or YYYY-MM, "
                             "YYYY), or 'undated' for a page without a date.")
            if not str(source["url"]).startswith(("https://", "http://")):
                found.append(f"{key}: source url {source['url']!r} is not a web address.")
        checked = as_date(entry.get("checked"))
        if checked is None:
            found.append(f"{key}: has a value but no `checked:` date (YYYY-MM-DD): the day a person saw "
                         "this value in the source.")
        elif checked > today:
            found.append(f"{key}: checked {checked} is in the future.")
        if kind == "web" and not is_official("https://" + str(entry["value"]).strip("/") + "/", domains):
            found.append(f"{key}: {entry['value']} is not on data/official_sites.yml; pages link only to official sites.")
        display = entry.get("display")
        if display is not None and not isinstance(display, dict):
            found.append(f"{key}: `display` must be a list of `lang: text` lines.")
    return found


def months_between(earlier: dt.date, later: dt.date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


@dataclass
class Row:
    key: str
    value: str
    source: str
    checked: str
    age: str
    status: str   # "ok", "due", "not confirmed"


def report_rows(facts: dict, today: dt.date, max_age_months: int) -> list[Row]:
    rows = []
    for key, entry in facts.items():
        entry = entry if isinstance(entry, dict) else {}
        if not has_value(entry):
            rows.append(Row(key, "(not yet confirmed)", str(entry.get("note") or "").strip(), "", "", "not confirmed"))
            continue
        source = entry.get("source") or {}
        cited = f"{source.get('publisher')}, \"{source.get('title')}\", {source.get('published')}, {source.get('url')}"
        checked = as_date(entry.get("checked"))
        months = months_between(checked, today) if checked else None
        due = months is None or months >= max_age_months
        age = "never" if months is None else (f"{months} month{'s' if months != 1 else ''}" if months else
                                              f"{(today - checked).days} days")
        value = " ".join(str(entry["value"]).split())
        rows.append(Row(key, value, cited, str(checked or ""), age, "due" if due else "ok"))
    return rows


def format_text(rows: list[Row], found: list[str], max_age_months: int) -> str:
    lines = [f"PROBLEM {p}" for p in found]
    for row in rows:
        mark = {"ok": "ok ", "due": "DUE", "not confirmed": "---"}[row.status]
        lines.append(f"{mark} {row.key} = {row.value[:60]}")
        if row.status != "not confirmed":
            lines.append(f"      checked {row.checked} ({row.age} ago); source: {row.source}")
        elif row.source:
            lines.append(f"      {row.source}")
    due = sum(r.status == "due" for r in rows)
    unset = sum(r.status == "not confirmed" for r in rows)
    lines.append(f"{len(rows)} facts: {len(rows) - due - unset} checked within {max_age_months} months, "
                 f"{due} due for re-checking, {unset} not yet confirmed; {len(found)} problem(s).")
    return "\n".join(lines)


def format_markdown(rows: list[Row], found: list[str], max_age_months: int) -> str:
    def cell(text: str) -> str:
        return html.escape(text, quote=False).replace("|", "\\|")
    out = ["## Programme facts", ""]
    out += [f"- **Problem:** {cell(p)}" for p in found]
    due = sum(r.status == "due" for r in rows)
    unset = sum(r.status == "not confirmed" for r in rows)
    out += [f"{len(rows)} facts; **{due} due** for re-checking (checked {max_age_months}+ months ago); "
            f"{unset} not yet confirmed.", "", "| Fact | Value | Checked | Age | Status | Source |", "|---|---|---|---|---|---|"]
    for r in rows:
        status = "**due**" if r.status == "due" else r.status
        out.append(f"| `{r.key}` | {cell(r.value[:80])} | {r.checked} | {r.age} | {status} | {cell(r.source)} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None, today: dt.date | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehsaas_site.facts_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-age-months", type=int, default=DEFAULT_MAX_AGE_MONTHS,
                        help="facts checked this many months ago or more are due (default 12)")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument("--fail-on-due", action="store_true", help="exit 1 if a fact is due")
    parser.add_argument("--facts", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    today = today or dt.date.today()
    facts = load_facts(args.facts)
    found = problems(facts, official_domains(), today)
    rows = report_rows(facts, today, args.max_age_months)
    render = format_markdown if args.format == "markdown" else format_text
    print(render(rows, found, args.max_age_months))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(format_markdown(rows, found, args.max_age_months))
    if found or (args.fail_on_due and any(r.status == "due" for r in rows)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
