"""Owns creating a new page in one step: the English file from a template with complete front
matter, and its line in the site's navigation (mkdocs.yml `nav:`).

    python -m ehsaas_site.new_page how-to-register.md --title "How to register" \\
        --description "..." --summary "..." [--section Programme] [--after stay-safe.md]

Every other language has the page at once: until it is translated, readers of Urdu see the
English text, and readers of Sindhi, Pashto and Punjabi the Urdu (or English) text, each with a
"not yet translated" notice in their own language. The translation report lists it as missing.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .pages import ROOT, load_mkdocs_config, nav_files, site_languages

PATH = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*/)?[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
TEMPLATE = """\
---
title: {title}
description: {description}
summary: {summary}
---

# {heading}

<!-- Write the page here, then delete this note.
     - Short sentences, one idea per paragraph. Headings are questions people ask.
     - Phone numbers, amounts, dates and web addresses come from data/facts.yml: write
       fact("key") between double curly braces, as the other pages do.
     - Check it: .venv/bin/python -m ehsaas_site.check_content docs/en/{path}
     - Preview it: .venv/bin/mkdocs serve, then open http://127.0.0.1:8000/{url} -->
"""


class NewPageError(ValueError):
    pass


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_to_nav(config_text: str, path: str, section: str | None, after: str | None) -> str:
    """mkdocs.yml with `path` added to the nav (top level or inside `section`), after the page
    `after` if given, else at the end of that level. Only the nav lines change."""
    lines = config_text.split("\n")
    try:
        start = lines.index("nav:")
    except ValueError:
        raise NewPageError("mkdocs.yml has no `nav:` section") from None
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    if section:
        header = next((i for i in range(start + 1, end) if re.match(rf"^  - {re.escape(section)}:\s*$", lines[i])), None)
        if header is None:
            raise NewPageError(f'the nav has no section "{section}" (sections: '
                               f"{', '.join(re.findall(r'^  - ([^:]+):$', chr(10).join(lines[start:end]), re.M))})")
        first, indent = header + 1, "      - "
        last = next((i for i in range(first, end) if not lines[i].startswith("      ")), end)
    else:
        first, last, indent = start + 1, end, "  - "
    while last > first and not lines[last - 1].strip():
        last -= 1
    position = last
    if after:
        matches = [i for i in range(first, last) if lines[i].strip() == f"- {after}"]
        if not matches:
            raise NewPageError(f"--after {after}: that page is not at this level of the nav")
        position = matches[0] + 1
    lines.insert(position, f"{indent}{path}")
    return "\n".join(lines)


def create(root: Path, path: str, title: str, description: str, summary: str,
           section: str | None = None, after: str | None = None) -> list[str]:
    path = path.removeprefix("docs/en/")
    if not PATH.match(path):
        raise NewPageError(f'"{path}": use small letters, digits and dashes, ending in .md '
                           "(e.g. how-to-register.md or programme/new-part.md)")
    target = root / "docs" / "en" / path
    if target.exists():
        raise NewPageError(f"docs/en/{path} already exists")
    if path in nav_files(load_mkdocs_config(root).get("nav")):
        raise NewPageError(f"{path} is already in the nav")
    for name, value in (("title", title), ("description", description), ("summary", summary)):
        if not value.strip():
            raise NewPageError(f"give the page a {name}")
    config_path = root / "mkdocs.yml"
    new_config = add_to_nav(config_path.read_text(encoding="utf-8"), path, section, after)
    url = path[:-3] + "/" if not path.endswith("index.md") else path[:-8]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(TEMPLATE.format(title=quoted(title), description=quoted(description),
                                      summary=quoted(summary), heading=title, path=path, url=url),
                      encoding="utf-8")
    config_path.write_text(new_config, encoding="utf-8")
    others = [lang for lang in site_languages(root) if lang != "en"]
    return [f"created docs/en/{path} and added it to the nav in mkdocs.yml",
            f"not yet translated into: {', '.join(others)} (readers see a notice; the report says missing)",
            f"to translate: copy docs/en/{path} to docs/<lang>/{path}, translate it, then run "
            f".venv/bin/python -m ehsaas_site.translations mark-draft <lang> {path}"]


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehsaas_site.new_page", description=__doc__.split("\n")[0])
    parser.add_argument("path", help="file name under docs/en/, e.g. how-to-register.md")
    parser.add_argument("--title", required=True)
    parser.add_argument("--description", required=True, help="one sentence for search engines")
    parser.add_argument("--summary", required=True, help="the page as one SMS (160 characters)")
    parser.add_argument("--section", help="a nav section, e.g. Programme (default: top level)")
    parser.add_argument("--after", help="put it after this page in the nav, e.g. stay-safe.md")
    args = parser.parse_args(argv)
    try:
        for line in create(root, args.path, args.title, args.description, args.summary,
                           args.section, args.after):
            print(line)
    except NewPageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
