#!/usr/bin/env python3
"""Render deploy/nginx/ehsaas.conf for one built site (stdout, or --output FILE).

What it reads from the built site, so the config always matches it:
- the inline <script>s of every page: their SHA-256 go into the CSP's script-src (no
  'unsafe-inline'). An inline event handler (onclick=...), a style="" attribute or a
  javascript: URL cannot be allowed by hash: rendering fails and names the page, because that
  page would break under the CSP (move the code into a file under docs/assets/);
- the language folders (every top-level folder with a 404.html): one location each, with
  its own 404 page.

    .venv/bin/python deploy/render_nginx.py --site /srv/ehsaas/site --server-name example.org \\
        [--tls-cert FULLCHAIN --tls-key KEY] [--upstream 127.0.0.1:8000] [--listen 80]
        [--access-log /var/log/nginx/ehsaas.access.log | off] [--output FILE]
Standard library only: it runs with any Python 3.9+.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "ehsaas.conf"


class RenderError(Exception):
    pass


class _InlineCode(HTMLParser):
    """Collects inline <script>/<style> bodies, and what no hash can allow."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.problems: list[str] = []
        self._in = None  # ("script" | "style", [chunks]) while inside one
        self._external = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name}= on <{tag}>")
            elif name == "style":
                self.problems.append(f"style= attribute on <{tag}>")
            elif name in ("href", "src", "action", "formaction") and value and \
                    value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}= on <{tag}>")
        if tag in ("script", "style"):
            self._external = tag == "script" and "src" in names
            self._in = (tag, [])

    def handle_data(self, data):
        if self._in:
            self._in[1].append(data)

    def handle_entityref(self, name):  # raw text elements keep entities as written
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            body = "".join(self._in[1])
            if tag == "style":
                self.styles.append(body)
            elif not self._external and body.strip():
                self.scripts.append(body)
            self._in = None


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def inline_hashes(site: Path) -> tuple[list[str], list[str]]:
    """Sorted CSP hash sources of every inline script and style element in the site."""
    scripts, styles, problems = set(), set(), []
    pages = sorted(site.rglob("*.html"))
    if not pages:
        raise RenderError(f"{site} has no .html files: build the site first (mkdocs build)")
    for page in pages:
        parser = _InlineCode()
        parser.feed(page.read_text(encoding="utf-8"))
        parser.close()
        scripts.update(_sha256(s) for s in parser.scripts)
        styles.update(_sha256(s) for s in parser.styles)
        problems += [f"{page.relative_to(site)}: {p}" for p in parser.problems]
    if problems:
        raise RenderError("the site's Content-Security-Policy cannot allow these (move the code "
                          "into a file under docs/assets/):\n  " + "\n  ".join(sorted(set(problems))[:20]))
    return sorted(scripts), sorted(styles)


def language_folders(site: Path) -> list[str]:
    return sorted(p.parent.name for p in site.glob("*/404.html")
                  if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", p.parent.name))


def csp(site: Path, tls: bool) -> str:
    scripts, styles = inline_hashes(site)
    directives = [
        "default-src 'none'",
        " ".join(["script-src 'self'", *scripts]),
        " ".join(["style-src 'self'", *styles]),
        # Material's CSS draws its icons from data: SVGs.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",     # search.js fetches the search index
        "manifest-src 'self'",
        "form-action 'self'",     # the forms post to /api/v1 on this origin
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
    if tls:
        directives.append("upgrade-insecure-requests")
    return "; ".join(directives)


def render(site: Path, server_name: str = "_", upstream: str = "127.0.0.1:8000",
           listen: str | None = None, tls_cert: str | None = None, tls_key: str | None = None,
           redirect_listen: str = "80", access_log: str = "/var/log/nginx/ehsaas.access.log") -> str:
    site = site.resolve()
    if not (site / "index.html").is_file():
        raise RenderError(f"{site}/index.html is missing: --site must be a built site (mkdocs build)")
    if bool(tls_cert) != bool(tls_key):
        raise RenderError("give both --tls-cert and --tls-key, or neither")
    tls = bool(tls_cert)
    for value, what in ((server_name, "--server-name"), (upstream, "--upstream"), (str(site), "--site"),
                        (listen or "", "--listen"), (tls_cert or "", "--tls-cert"), (tls_key or "", "--tls-key"),
                        (redirect_listen, "--redirect-listen"), (access_log, "--access-log")):
        if re.search(r"[;{}\s\"']", value.strip()) and what != "--server-name":
            raise RenderError(f"{what} {value!r}: no spaces, quotes, ';' or braces")
        if what == "--server-name" and re.search(r"[;{}\"']", value):
            raise RenderError(f"{what} {value!r}: no quotes, ';' or braces")
    if tls:
        port = listen or "443"
        listen_lines = (f"    listen {port} ssl http2;\n"
                        + (f"    listen [::]:{port} ssl http2;\n" if port.isdigit() else "")
                        + f"    ssl_certificate {tls_cert};\n    ssl_certificate_key {tls_key};\n"
                        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
                        "    ssl_session_cache shared:ehsaas_tls:10m;\n    ssl_session_timeout 1d;")
        redirect = ("\n# Plain HTTP: only the ACME challenge (certificate renewal) and a redirect.\n"
                    f"server {{\n    listen {redirect_listen};\n"
                    + (f"    listen [::]:{redirect_listen};\n" if redirect_listen.isdigit() else "")
                    + f"    server_name {server_name};\n    server_tokens off;\n    access_log @ACCESS_LOG@;\n"
                    "    location ^~ /.well-known/acme-challenge/ { root /var/www/letsencrypt; }\n"
                    "    location / { return 301 https://$host$request_uri; }\n}\n")
        hsts = "max-age=31536000"
    else:
        port = listen or "80"
        listen_lines = f"    listen {port};" + (f"\n    listen [::]:{port};" if port.isdigit() else "")
        redirect, hsts = "", ""
    languages = "".join(
        f"    location /{lang}/ {{\n        error_page 404 /{lang}/404.html;\n"
        f"        try_files $uri $uri/ =404;\n    }}\n" for lang in language_folders(site))
    values = {"REDIRECT_SERVER": redirect, "UPSTREAM": upstream, "CSP": csp(site, tls), "HSTS": hsts,
              "LISTEN": listen_lines, "SERVER_NAME": server_name, "SITE_ROOT": str(site),
              "LANGUAGE_LOCATIONS": languages,
              "ACCESS_LOG": "off" if access_log == "off" else f"{access_log} ehsaas_private"}
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = [n for n in re.findall(r"@[A-Z_]+@", text) if n != "@PLACEHOLDER@"]
    if left:
        raise RenderError(f"template placeholders not filled: {sorted(set(left))}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", required=True, type=Path, help="the built site (mkdocs build --site-dir)")
    parser.add_argument("--server-name", default="_", help="nginx server_name (default _: any)")
    parser.add_argument("--upstream", default="127.0.0.1:8000", help="gunicorn's address (FEEDBACK_BIND)")
    parser.add_argument("--listen", help="port or address:port (default 80, or 443 with TLS)")
    parser.add_argument("--tls-cert", help="certificate chain (PEM); turns on HTTPS, HSTS and the :80 redirect")
    parser.add_argument("--tls-key", help="its private key")
    parser.add_argument("--redirect-listen", default="80",
                        help="with TLS: where plain HTTP is answered with a redirect (default 80)")
    parser.add_argument("--access-log", default="/var/log/nginx/ehsaas.access.log",
                        help="file for the access log (no client addresses in it), or off")
    parser.add_argument("--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    try:
        text = render(args.site, args.server_name, args.upstream, args.listen, args.tls_cert, args.tls_key,
                      args.redirect_listen, args.access_log)
    except RenderError as exc:
        print(f"render_nginx: {exc}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
