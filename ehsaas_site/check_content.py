"""Owns the content checks an editor runs before publishing, with messages that name the file, the
line and what to do. The tests (tests/test_content_checks.py) run the same checks.

    python -m ehsaas_site.check_content            # every page in docs/
    python -m ehsaas_site.check_content docs/sd    # one language (or one file)

Checks: front matter complete; SMS summary short enough; internal links and #anchors lead
somewhere; images have alternative text and are small; no empty page; no phone number, amount,
date or web address typed into a page (those belong in data/facts.yml).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pymdownx.slugs import slugify

from .facts_report import is_official
from .pages import ROOT, PageError, read_page

DEFAULT = "en"
SMS_DEFAULT, SMS_OTHER = 160, 70
IMAGE_LIMIT = 15 * 1024   # a page's first visit must stay under 30 KB in total (see benchmarks/)
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
           "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_DOUBLE = set("^{}\\[~]|€")
SLUG = slugify(case="lower")

LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
HTML_IMG = re.compile(r"<img\b[^>]*>", re.I)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{[^}]*#(?P<id>[\w-]+)[^}]*\})?\s*#*\s*$")
FACT_CALL = re.compile(r"\{\{\s*fact\([^)]*\)\s*\}\}")
DIGITS = "0-9۰-۹٠-٩"
TYPED_FACTS = [
    (re.compile(rf"(?<![\w{DIGITS}-])(?:\+?[{DIGITS}][{DIGITS} -]{{2,}}[{DIGITS}])(?![\w{DIGITS}])"),
     "looks like a phone number, code, amount or year"),
    (re.compile(r"(?i)\b(?:rs\.?|pkr)\s*[0-9۰-۹]"), "looks like an amount of money"),
    (re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:gov|com|org|net)\.pk\b"), "looks like a web address"),
]
FACT_ADVICE = ('Put the value in data/facts.yml (with its source) and write {{ fact("key") }} here, '
               "so every page and language shows the same, confirmed value.")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: {self.message}"


def gsm7_septets(text: str) -> int | None:
    if any(c not in GSM7 and c not in GSM7_DOUBLE for c in text):
        return None
    return sum(2 if c in GSM7_DOUBLE else 1 for c in text)


def front_line(page, key: str) -> int:
    for number, line in enumerate(page.front.splitlines(), start=2):
        if line.startswith(f"{key}:"):
            return number
    return 1


def check_front_matter(page, lang: str) -> list[Problem]:
    problems = []
    for key in ("title", "description", "summary"):
        if not isinstance(page.meta.get(key), str) or not page.meta[key].strip():
            problems.append(Problem(page.path, front_line(page, key),
                                    f'no {key}. Add a line `{key}: "..."` between the --- lines at the top.'))
    summary = page.meta.get("summary")
    if isinstance(summary, str) and summary.strip():
        line = front_line(page, "summary")
        if lang == DEFAULT:
            septets = gsm7_septets(summary)
            if septets is None:
                odd = sorted({c for c in summary if c not in GSM7 and c not in GSM7_DOUBLE})
                problems.append(Problem(page.path, line, f"the summary has characters an ordinary SMS "
                                        f"cannot send ({' '.join(odd)}): replace them (e.g. ’ with ')."))
            elif septets > SMS_DEFAULT:
                problems.append(Problem(page.path, line, f"the summary is {septets} characters; one SMS "
                                        f"holds {SMS_DEFAULT}. Shorten it by {septets - SMS_DEFAULT}."))
        else:
            units = len(summary.encode("utf-16-le")) // 2
            if units > SMS_OTHER:
                problems.append(Problem(page.path, line, f"the summary is {units} characters; one SMS in "
                                        f"this language holds {SMS_OTHER}. Shorten it by {units - SMS_OTHER}."))
    if lang != DEFAULT and page.translation.get("status") not in ("draft", "reviewed"):
        problems.append(Problem(page.path, 1, "a translation needs `translation: {status: draft}` in its "
                                "front matter: run python -m ehsaas_site.translations mark-draft "
                                f"{lang} <page> after translating."))
    return problems


def body_lines(page):
    """(line number, text) of the body, outside fenced code and HTML comments."""
    fenced = comment = False
    for offset, line in enumerate(page.body.split("\n")):
        number = page.body_line + offset
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if "<!--" in line and "-->" not in line:
            comment = True
        if fenced or comment:
            comment = comment and "-->" not in line
            continue
        yield number, re.sub(r"<!--.*?-->", "", line)


def anchors(path: Path) -> set[str]:
    found = set()
    for _, line in body_lines(read_page(path)):
        match = HEADING.match(line)
        if match:
            found.add(match.group("id") or SLUG(re.sub(r"[*_`]", "", match.group(2)), "-"))
    return found


def resolve(docs: Path, lang: str, page_path: Path, target: str) -> Path | None:
    """The file a link leads to in the built site: this language's page, else the page the site
    falls back to (Urdu, then English) when it is not translated yet."""
    relative = (page_path.parent / target).resolve()
    try:
        inside = relative.relative_to((docs / lang).resolve())
    except ValueError:
        return relative if relative.exists() else None
    for candidate_lang in (lang, "ur", DEFAULT):
        candidate = docs / candidate_lang / inside
        if candidate.exists():
            return candidate
    return None


def check_links(page, lang: str, docs: Path) -> list[Problem]:
    problems = []
    for number, line in body_lines(page):
        for match in LINK.finditer(line):
            target = match.group("target").strip("<>")
            if re.match(r"(?i)^[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
                if not target.lower().startswith(("mailto:", "tel:", "sms:")) and not is_official(target):
                    problems.append(Problem(page.path, number, f"link to another site ({target}): this site "
                                            "links only to its own pages and to the official sites in "
                                            "data/official_sites.yml (never to news or guide sites)."))
                continue
            file_part, _, anchor = target.partition("#")
            if file_part and not file_part.endswith(".md") and not Path(file_part).suffix:
                problems.append(Problem(page.path, number, f'link "{target}": link to the page\'s file, '
                                        "ending in .md (e.g. stay-safe.md or ../feedback.md)."))
                continue
            dest = resolve(docs, lang, page.path, file_part) if file_part else page.path
            if dest is None:
                problems.append(Problem(page.path, number, f'link "{target}" leads to no page. Check the '
                                        f"file name (pages are in docs/{lang}/; ../ goes up one folder)."))
                continue
            if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                problems.append(Problem(page.path, number, f'link "{target}": there is no heading '
                                        f'"#{anchor}" in {dest.relative_to(docs)}. Copy the anchor from '
                                        "the heading's link in the built page, or link the page only."))
    return problems


def check_images(page, lang: str, docs: Path) -> list[Problem]:
    problems = []
    for number, line in body_lines(page):
        found = [(m.group("alt"), m.group("target")) for m in IMAGE.finditer(line)]
        for tag in HTML_IMG.finditer(line):
            alt = re.search(r'\balt\s*=\s*"([^"]*)"', tag.group(0))
            src = re.search(r'\bsrc\s*=\s*"([^"]*)"', tag.group(0))
            found.append((alt.group(1) if alt else "", src.group(1) if src else ""))
        for alt, target in found:
            if not alt.strip():
                problems.append(Problem(page.path, number, f"image {target} has no alternative text: write "
                                        "what it shows between the brackets, ![like this](photo.jpg), "
                                        "for readers who cannot see it or whose phone does not load it."))
            if re.match(r"(?i)^[a-z]+:|^//", target):
                problems.append(Problem(page.path, number, f"image {target} is on another site: put the "
                                        "file in docs/assets/ and link it from there."))
                continue
            dest = resolve(docs, lang, page.path, target)
            if dest is None:
                problems.append(Problem(page.path, number, f"image {target} does not exist. Check the "
                                        "file name and folder."))
            elif dest.stat().st_size > IMAGE_LIMIT:
                problems.append(Problem(page.path, number, f"image {target} is {dest.stat().st_size // 1024} "
                                        f"KB; the limit is {IMAGE_LIMIT // 1024} KB so the page loads on 2G. "
                                        "Make it smaller (fewer pixels, WebP or a lower JPEG quality)."))
    return problems


def check_not_empty(page) -> list[Problem]:
    words = sum(len(line.split()) for _, line in body_lines(page)
                if line.strip() and not line.lstrip().startswith("#"))
    if words < 5:
        return [Problem(page.path, page.body_line, "the page has no text under its heading. Write it, or "
                        "delete the file if the page is not needed (and remove it from the nav in mkdocs.yml).")]
    return []


def check_typed_facts(page) -> list[Problem]:
    problems = []
    lines = [(front_line(page, k), page.meta.get(k)) for k in ("title", "description", "summary")]
    lines += list(body_lines(page))
    for number, text in lines:
        if not isinstance(text, str):
            continue
        text = FACT_CALL.sub("", text)
        text = re.sub(r"\]\([^)]*\)", "]", text)          # link targets are not facts
        # codes with letters are names, not facts: COVID-19, a sample reference like 7KQ2-MXR4-TZF
        text = re.sub(r"\b(?=[\w-]*[A-Za-z])\w+(?:-\w+)+\b", "", text)
        for pattern, what in TYPED_FACTS:
            for match in pattern.finditer(text):
                value = match.group(0).strip()
                if what.startswith("looks like a phone") and len(re.sub(rf"[^{DIGITS}]", "", value)) < 4:
                    continue
                problems.append(Problem(page.path, number, f'"{value}" {what}. {FACT_ADVICE}'))
    return problems


def check_page(path: Path, docs: Path) -> list[Problem]:
    lang = path.relative_to(docs).parts[0]
    try:
        page = read_page(path)
    except PageError as error:
        return [Problem(path, 1, str(error).split(": ", 1)[-1])]
    if not page.front and not page.meta:
        return [Problem(path, 1, 'no front matter. Start the file with ---, title: "...", '
                        'description: "...", summary: "...", --- (copy the top of another page).')]
    return (check_front_matter(page, lang) + check_not_empty(page) + check_links(page, lang, docs)
            + check_images(page, lang, docs) + check_typed_facts(page))


def pages_under(target: Path, docs: Path) -> list[Path]:
    if target.is_file():
        return [target]
    # assets/ holds no pages; dev/ holds the developers' decision records, not published
    return sorted(p for p in target.rglob("*.md") if p.relative_to(docs).parts[0] not in ("assets", "dev"))


def check_all(docs: Path = ROOT / "docs", targets: list[Path] | None = None) -> list[Problem]:
    problems = []
    for target in targets or [docs]:
        for path in pages_under(target, docs):
            problems += check_page(path, docs)
    return problems


def docs_folder(target: Path) -> Path:
    """The docs/ folder a file or folder is in (pages' languages are its first-level folders)."""
    for folder in (target, *target.parents):
        if folder.name == "docs":
            return folder
    raise SystemExit(f"error: {target} is not inside a docs/ folder")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    targets = [Path(a).resolve() for a in args] or [ROOT / "docs"]
    problems, count = [], 0
    for target in targets:
        docs = docs_folder(target)
        problems += check_all(docs, [target])
        count += len(pages_under(target, docs))
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) in {count} page(s)." if problems else f"All {count} pages are fine.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
