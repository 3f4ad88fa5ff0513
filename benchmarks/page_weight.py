"""Page weight of the built site as a phone on 2G would pay it, gzip-served.

    .venv/bin/mkdocs build --strict && .venv/bin/python benchmarks/page_weight.py site

prints a Markdown table for the home page and one component page, in English and Urdu.
tests/test_site_budget.py holds every built page to the budget with the same functions:
  first visit  = the HTML + everything it makes the browser fetch without a tap
                 (stylesheets, scripts, icons, images, preloads, CSS url()s)  <= 30 KB
  render-blocking = the HTML + its stylesheets and synchronous head scripts     <= 14 KB
  further page = the HTML alone (CSS and icons are cached)                      <=  6 KB
Search (docs/assets/search.js and the reader's language's index) loads only when the reader
opens search, so it is not part of a first visit; it is reported in its own column.
Sizes are gzip level 6 (zlib's default, what most servers and CDNs send).
"""
from __future__ import annotations

import gzip
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

KB = 1024
BUDGET_FIRST_VISIT = 30 * KB
BUDGET_RENDER_BLOCKING = 14 * KB
BUDGET_FURTHER_PAGE = 6 * KB
# rel values that make a browser fetch the href without any tap
FETCHING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload",
                 "prefetch", "manifest", "mask-icon"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


class _Loads(HTMLParser):
    """What a page makes the browser fetch by itself, and which of those block rendering."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads: list[tuple[str, str, bool]] = []  # (url, kind, render_blocking)
        self.in_head = False
        self.search_index = None
        self.search_script = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        if tag == "link" and a.get("href"):
            rels = set((a.get("rel") or "").lower().split())
            if rels & FETCHING_RELS:
                blocking = "stylesheet" in rels and a.get("media", "all") not in ("print",)
                self.loads.append((a["href"], "stylesheet" if "stylesheet" in rels else "link", blocking))
        elif tag == "script":
            if a.get("src"):
                blocking = self.in_head and "async" not in a and "defer" not in a and a.get("type") != "module"
                self.loads.append((a["src"], "script", blocking))
            if a.get("data-index"):
                self.search_index, self.search_script = a["data-index"], a.get("data-src")
        elif tag in ("img", "iframe", "embed", "audio", "video", "source", "track", "input"):
            for key in ("src", "poster", "data"):
                if a.get(key) and not (tag == "input" and a.get("type") != "image"):
                    self.loads.append((a[key], tag, False))
            for candidate in (a.get("srcset") or "").split(","):
                if candidate.strip():
                    self.loads.append((candidate.split()[0], tag, False))
        elif tag == "object" and a.get("data"):
            self.loads.append((a["data"], tag, False))

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def page_url(site: Path, html_file: Path) -> str:
    rel = html_file.relative_to(site).as_posix()
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def local_file(site: Path, base_url: str, ref: str) -> Path | None:
    """The file in `site` that `ref` (relative to the page at `base_url`) points at; None for data:
    URIs. Raises ValueError for a URL on another origin."""
    if ref.startswith("data:"):
        return None
    parts = urlsplit(urljoin("http://site.invalid" + base_url, ref))
    if parts.netloc != "site.invalid":
        raise ValueError(f"{ref} is on another origin")
    path = parts.path
    if path.endswith("/"):
        path += "index.html"
    return site / path.lstrip("/")


def resources(site: Path, html_file: Path) -> list[dict]:
    """Each distinct file a first visit to `html_file` fetches (not the page itself)."""
    parser = _Loads()
    parser.feed(html_file.read_text(encoding="utf-8"))
    base = page_url(site, html_file)
    seen, out = set(), []
    queue = [(ref, kind, blocking, base) for ref, kind, blocking in parser.loads]
    while queue:
        ref, kind, blocking, from_url = queue.pop(0)
        path = local_file(site, from_url, ref)
        if path is None or path in seen:
            continue
        seen.add(path)
        if not path.is_file():
            raise FileNotFoundError(f"{html_file.relative_to(site)} loads {ref}: no such file")
        data = path.read_bytes()
        out.append({"path": path, "kind": kind, "blocking": blocking, "gzip": gz(data)})
        if path.suffix == ".css":
            css_url = "/" + path.relative_to(site).as_posix()
            for m in CSS_URL.finditer(data.decode("utf-8")):
                queue.append((m.group(2) or m.group(4), "css-url", False, css_url))
    return out


def measure(site: Path, html_file: Path) -> dict:
    html = html_file.read_bytes()
    loads = resources(site, html_file)
    parser = _Loads()
    parser.feed(html.decode("utf-8"))
    on_tap = 0
    base = page_url(site, html_file)
    if parser.search_index:
        for ref in (parser.search_script, parser.search_index):
            on_tap += gz(local_file(site, base, ref).read_bytes())
    html_gz = gz(html)
    return {
        "page": base,
        "html": html_gz,
        "css": sum(r["gzip"] for r in loads if r["kind"] == "stylesheet"),
        "other": sum(r["gzip"] for r in loads if r["kind"] != "stylesheet"),
        "first_visit": html_gz + sum(r["gzip"] for r in loads),
        "render_blocking": html_gz + sum(r["gzip"] for r in loads if r["blocking"]),
        "further_page": html_gz,
        "search_on_tap": on_tap,
        "files": [r["path"].relative_to(site).as_posix() for r in loads],
    }


REPORT_PAGES = ["index.html", "programme/kafalat/index.html",
                "ur/index.html", "ur/programme/kafalat/index.html"]


def table(site: Path) -> str:
    rows = ["| page | HTML | CSS | icons, other | first visit (<= 30 KB) | render-blocking (<= 14 KB) "
            "| further page (<= 6 KB) | search, on tap |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    kb = lambda n: f"{n / KB:.1f} KB"  # noqa: E731
    for rel in REPORT_PAGES:
        m = measure(site, site / rel)
        rows.append(f"| `{m['page']}` | {kb(m['html'])} | {kb(m['css'])} | {kb(m['other'])} | "
                    f"{kb(m['first_visit'])} | {kb(m['render_blocking'])} | {kb(m['further_page'])} | "
                    f"{kb(m['search_on_tap'])} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(Path(sys.argv[1] if len(sys.argv) > 1 else "site")))
