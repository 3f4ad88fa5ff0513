#!/usr/bin/env python3
"""Lighthouse's SEO (and accessibility) scores of the site as published under a real address:
the site is built with `SITE_URL` set to that address (canonical and language alternates are
absolute under it), served over HTTPS on 127.0.0.1 at the address's path, and Debian's Chromium
is told that the address's host is 127.0.0.1 (`--host-resolver-rules`; the certificate is a
throwaway self-signed one, hence `--ignore-certificate-errors`). So Lighthouse loads exactly
https://example.org/ehsaas/ur/ and checks the tags a search engine would see there.

    (cd benchmarks/lighthouse && npm ci)        # once: lighthouse@12.2.3
    nice -n 5 .venv/bin/python -m benchmarks.lighthouse_seo \\
        [--site-url https://example.org/ehsaas/] [--json benchmarks/results/lighthouse_seo.json]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.lighthouse import LIGHTHOUSE, run_once
from tests.fixtures_site import build_site

PAGES = ["", "ur/", "ur/programme/kafalat/"]   # under the site's address
CATEGORIES = ["seo", "accessibility"]
# The SEO audits the address matters to, recorded one by one (score 1 = passed, None = not applicable).
CHECKED = ["canonical", "hreflang", "meta-description", "link-text", "document-title", "is-crawlable",
           "http-status-code", "crawlable-anchors"]


def self_signed(folder: Path, host: str) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={host}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def serve(root: Path, cert: Path, key: Path) -> http.server.ThreadingHTTPServer:
    """HTTPS on a free port of 127.0.0.1, files from `root`, in a thread."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--site-url", default="https://example.org/ehsaas/")
    parser.add_argument("--pages", nargs="*", default=PAGES)
    parser.add_argument("--json", type=Path, help="write every run here")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} missing: (cd benchmarks/lighthouse && npm ci)")
    base = args.site_url.rstrip("/") + "/"
    address = urlsplit(base)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # The site's files at the address's path: <root>/ehsaas/... for https://host/ehsaas/
        site = tmp / "root" / address.path.strip("/") if address.path.strip("/") else tmp / "root"
        built = build_site(site, extra_env={"SITE_URL": base})
        if built.returncode != 0:
            sys.exit(f"mkdocs build failed:\n{built.stderr[-3000:]}")
        server = serve(tmp / "root", *self_signed(tmp, address.hostname))
        port = server.server_address[1]
        flags = f'--host-resolver-rules="MAP {address.hostname}:443 127.0.0.1:{port}" --ignore-certificate-errors'
        try:
            for page in args.pages:
                result = run_once(base + page, "default", tmp / "report.json", CATEGORIES, flags)
                report = json.loads((tmp / "report.json").read_text())
                result["audits"] = {name: report["audits"][name]["score"] for name in CHECKED}
                results.append({"url": base + page, **result})
                print(f"{base + page:45} {result['scores']} failing={result['failing']} "
                      f"{result['explanations'] or ''}", flush=True)
        finally:
            server.shutdown()
    print(f"\nMeasured {started}, load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"Lighthouse {results[0]['lighthouse']}, {results[0]['chrome']}\n")
    print("| Page | SEO | Accessibility | " + " | ".join(CHECKED) + " | Failing audits |")
    print("|---|---:|---:|" + "---|" * len(CHECKED) + "---|")
    for r in results:
        failing = ", ".join(f"{cat}: {' '.join(ids)}" for cat, ids in r["failing"].items()) or "none"
        passed = " | ".join({1: "pass", None: "n/a"}.get(r["audits"][name], "FAIL") for name in CHECKED)
        print(f"| `{r['url']}` | {r['scores']['seo']} | {r['scores']['accessibility']} | {passed} | {failing} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"measured": started, "load_before": load, "site_url": base,
                                         "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
