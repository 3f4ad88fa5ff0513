"""Screenshots of the built site as a cheap phone shows it: 360x640, JavaScript off, Debian's
Chromium (with fonts-noto-core for Urdu).

    .venv/bin/mkdocs build --strict && .venv/bin/python benchmarks/screenshots.py site

writes benchmarks/screenshots/<name>.png (home pages, a component page, the open menu).
"""
from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
SHOTS = [  # (file name, path, what to tap first)
    ("en-home", "/", None),
    ("ur-home", "/ur/", None),
    ("ur-kafalat", "/ur/programme/kafalat/", None),
    ("ur-menu", "/ur/", "label.md-header__button[for=__drawer]"),
]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(site: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    OUT.mkdir(exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(viewport={"width": 360, "height": 640},
                                       java_script_enabled=False).new_page()
            for name, path, tap in SHOTS:
                page.goto(base + path)
                if tap:
                    page.click(tap)
                    page.wait_for_timeout(500)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print(OUT / f"{name}.png")
            browser.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "site"))
