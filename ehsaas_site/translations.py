"""Owns the translation status of every page in every language, and the commands that change it.

    python -m ehsaas_site.translations                      # the table: page x language
    python -m ehsaas_site.translations --format markdown    # the same, for CI's job summary
    python -m ehsaas_site.translations --require ur --min-translated 100%   # fail below a threshold
    python -m ehsaas_site.translations mark-reviewed sd programme/kafalat.md
    python -m ehsaas_site.translations mark-draft sd programme/kafalat.md   # after updating a translation
    python -m ehsaas_site.translations add-hashes           # drafts without a source hash get one

A translation records in its front matter what it was translated from:
`translation: {status: draft|reviewed, source_hash: <first 12 hex of sha256 of the English body>}`.
Statuses: reviewed; draft; draft (source unknown) (no source_hash); outdated (the English body
changed since source_hash); missing (no file: readers see the fallback text with a notice).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .pages import ROOT, PageError, body_hash, read_page, set_translation, site_languages

DEFAULT = "en"
REVIEWED, DRAFT, DRAFT_UNKNOWN = "reviewed", "draft", "draft (source unknown)"
REVIEWED_UNKNOWN, OUTDATED, MISSING = "reviewed (source unknown)", "outdated", "missing"
ORDER = (REVIEWED, REVIEWED_UNKNOWN, DRAFT, DRAFT_UNKNOWN, OUTDATED, MISSING)
TRANSLATED = {REVIEWED, REVIEWED_UNKNOWN, DRAFT, DRAFT_UNKNOWN}


@dataclass
class Report:
    languages: list[str]                    # translations (English is the source, not a column)
    pages: list[str]                        # paths under docs/en/, e.g. "programme/kafalat.md"
    status: dict[tuple[str, str], str] = field(default_factory=dict)   # (page, lang) -> status
    orphans: list[str] = field(default_factory=list)  # translations with no English page

    def counts(self, lang: str) -> dict[str, int]:
        counts = dict.fromkeys(ORDER, 0)
        for page in self.pages:
            counts[self.status[page, lang]] += 1
        return counts

    def share(self, lang: str, statuses: set[str]) -> float:
        if not self.pages:
            return 1.0
        return sum(self.status[p, lang] in statuses for p in self.pages) / len(self.pages)


def english_pages(root: Path) -> list[str]:
    docs = root / "docs" / DEFAULT
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    # the home page first, then top-level pages, then sections
    return sorted(pages, key=lambda p: (p != "index.md", "/" in p, p))


def translation_status(root: Path, lang: str, page: str, source_hash: str) -> str:
    path = root / "docs" / lang / page
    if not path.is_file():
        return MISSING
    translation = read_page(path).translation
    recorded = translation.get("source_hash")
    reviewed = translation.get("status") == "reviewed"
    if not recorded:
        return REVIEWED_UNKNOWN if reviewed else DRAFT_UNKNOWN
    if str(recorded) != source_hash:
        return OUTDATED
    return REVIEWED if reviewed else DRAFT


def build_report(root: Path = ROOT, languages: list[str] | None = None) -> Report:
    languages = [lang for lang in (languages or site_languages(root)) if lang != DEFAULT]
    report = Report(languages, english_pages(root))
    hashes = {page: body_hash(read_page(root / "docs" / DEFAULT / page).body) for page in report.pages}
    for lang in languages:
        for page in report.pages:
            report.status[page, lang] = translation_status(root, lang, page, hashes[page])
        folder = root / "docs" / lang
        if folder.is_dir():
            report.orphans += [f"docs/{lang}/{p.relative_to(folder).as_posix()}"
                               for p in sorted(folder.rglob("*.md"))
                               if p.relative_to(folder).as_posix() not in hashes]
    return report


# --- output -------------------------------------------------------------------------------------

def summary_line(report: Report, lang: str) -> str:
    counts = report.counts(lang)
    done = sum(counts[s] for s in TRANSLATED)
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return f"{lang}: {done}/{len(report.pages)} translated ({parts})"


def render_text(report: Report) -> str:
    width = max([len("page")] + [len(p) for p in report.pages]) + 2
    col = max(len(s) for s in ORDER) + 2
    lines = ["page".ljust(width) + "".join(lang.ljust(col) for lang in report.languages)]
    lines.append("-" * len(lines[0].rstrip()))
    for page in report.pages:
        cells = "".join(report.status[page, lang].ljust(col) for lang in report.languages)
        lines.append((page.ljust(width) + cells).rstrip())
    lines.append("")
    lines += [summary_line(report, lang) for lang in report.languages]
    lines += [f"warning: {o} has no English page (docs/en/): rename or remove it" for o in report.orphans]
    lines += ["", *advice(report)]
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(report: Report) -> str:
    marks = {REVIEWED: "✅ reviewed", REVIEWED_UNKNOWN: "✅ reviewed (source unknown)",
             DRAFT: "📝 draft", DRAFT_UNKNOWN: "📝 draft (source unknown)",
             OUTDATED: "⚠️ outdated", MISSING: "❌ missing"}
    lines = ["## Translation status", "",
             "| page | " + " | ".join(report.languages) + " |",
             "|---|" + "---|" * len(report.languages)]
    for page in report.pages:
        lines.append(f"| `{page}` | " + " | ".join(marks[report.status[page, lang]]
                                                   for lang in report.languages) + " |")
    lines.append("")
    lines += [f"- {summary_line(report, lang)}" for lang in report.languages]
    lines += [f"- warning: `{o}` has no English page" for o in report.orphans]
    return "\n".join(lines) + "\n"


def advice(report: Report) -> list[str]:
    seen = {report.status[key] for key in report.status}
    tips = []
    if OUTDATED in seen:
        tips.append("outdated: the English page changed after this translation was made. Update the "
                    "translation, then run: python -m ehsaas_site.translations mark-draft <lang> <page>")
    if DRAFT_UNKNOWN in seen or REVIEWED_UNKNOWN in seen:
        tips.append("source unknown: the page does not record which English text it was translated "
                    "from. If it matches today's English, run: python -m ehsaas_site.translations add-hashes")
    if DRAFT in seen:
        tips.append("draft: once someone who reads the language has checked it, run: "
                    "python -m ehsaas_site.translations mark-reviewed <lang> <page>")
    return tips


# --- commands -------------------------------------------------------------------------------------

def parse_share(text: str) -> float:
    value = float(text.strip().rstrip("%"))
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r}: give a share from 0% to 100%")
    return value / 100


def check_thresholds(report: Report, require: list[str], min_translated, min_reviewed) -> list[str]:
    failures = []
    for lang in require:
        if lang not in report.languages:
            failures.append(f"{lang}: not a site language (mkdocs.yml has {', '.join(report.languages)})")
            continue
        for limit, statuses, word in ((min_translated, TRANSLATED, "translated"),
                                      (min_reviewed, {REVIEWED}, "reviewed")):
            if limit is not None and report.share(lang, statuses) + 1e-9 < limit:
                failures.append(f"{lang}: {report.share(lang, statuses):.0%} of pages {word}, "
                                f"below the required {limit:.0%}")
    return failures


def page_paths(root: Path, lang: str, page: str) -> tuple[Path, Path]:
    page = page.removeprefix(f"docs/{lang}/").removeprefix(f"docs/{DEFAULT}/")
    if not page.endswith(".md"):
        page += ".md"
    english, translation = root / "docs" / DEFAULT / page, root / "docs" / lang / page
    if lang == DEFAULT or lang not in site_languages(root):
        raise PageError(f"{lang!r} is not a translation language of this site "
                        f"(mkdocs.yml builds {', '.join(site_languages(root))}).")
    if not english.is_file():
        raise PageError(f"docs/{DEFAULT}/{page} does not exist: give the page's path as the "
                        f"report shows it, e.g. programme/kafalat.md")
    if not translation.is_file():
        raise PageError(f"docs/{lang}/{page} does not exist yet: translate it first "
                        f"(copy docs/{DEFAULT}/{page} there and translate the text).")
    return english, translation


def mark(root: Path, lang: str, page: str, status: str, reviewer: str | None = None) -> str:
    english, translation = page_paths(root, lang, page)
    fields = {"status": status, "source_hash": body_hash(read_page(english).body)}
    if reviewer:
        fields["reviewed_by"] = reviewer
    set_translation(translation, fields)
    return f"docs/{lang}/{translation.relative_to(root / 'docs' / lang).as_posix()}: {status}, " \
           f"matches the English as of source_hash {fields['source_hash']}"


def add_hashes(root: Path, languages: list[str] | None = None) -> list[str]:
    """Record today's English hash in every translation that has none (assumes it matches)."""
    done = []
    report = build_report(root, languages)
    for (page, lang), status in sorted(report.status.items()):
        if status in (DRAFT_UNKNOWN, REVIEWED_UNKNOWN):
            path = root / "docs" / lang / page
            old = read_page(path).translation
            fields = {"status": old.get("status") or "draft",
                      "source_hash": body_hash(read_page(root / "docs" / DEFAULT / page).body)}
            fields.update({k: v for k, v in old.items() if k not in fields})
            set_translation(path, fields)
            done.append(f"docs/{lang}/{page}: source_hash {fields['source_hash']}")
    return done


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehsaas_site.translations", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    report_p = sub.add_parser("report", help="print the status table (the default command)")
    for p in (parser, report_p):
        p.add_argument("--format", choices=("text", "markdown"), default="text")
        p.add_argument("--require", action="append", default=[], metavar="LANG[,LANG]",
                       help="languages the thresholds apply to (repeat or comma-separate)")
        p.add_argument("--min-translated", type=parse_share, metavar="PERCENT",
                       help="fail if a required language has fewer pages translated (not outdated)")
        p.add_argument("--min-reviewed", type=parse_share, metavar="PERCENT",
                       help="fail if a required language has fewer pages reviewed")
    for name, text in (("mark-reviewed", "a person who reads the language checked it against the "
                        "current English"), ("mark-draft", "the translation was (re)made from the "
                                             "current English and is not yet reviewed")):
        p = sub.add_parser(name, help=text)
        p.add_argument("lang")
        p.add_argument("pages", nargs="+", metavar="page")
        if name == "mark-reviewed":
            p.add_argument("--by", help="who reviewed it (name or initials), kept in the page")
    hashes_p = sub.add_parser("add-hashes", help="record the English source in translations that lack it")
    hashes_p.add_argument("--lang", action="append")
    args = parser.parse_args(argv)

    try:
        if args.command in ("mark-reviewed", "mark-draft"):
            status = "reviewed" if args.command == "mark-reviewed" else "draft"
            for page in args.pages:
                print(mark(root, args.lang, page, status, getattr(args, "by", None)))
            return 0
        if args.command == "add-hashes":
            done = add_hashes(root, args.lang and [DEFAULT, *args.lang])
            print("\n".join(done) if done else "Every translation already records its source.")
            return 0
        report = build_report(root)
    except PageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render_markdown(report) if args.format == "markdown" else render_text(report), end="")
    require = [lang.strip() for item in args.require for lang in item.split(",") if lang.strip()]
    if (args.min_translated is not None or args.min_reviewed is not None) and not require:
        print("error: --min-translated/--min-reviewed need --require LANG", file=sys.stderr)
        return 2
    failures = check_thresholds(report, require, args.min_translated, args.min_reviewed)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
