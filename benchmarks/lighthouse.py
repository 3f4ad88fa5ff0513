#!/usr/bin/env python3
"""Lighthouse 12.2.3 with Debian's Chromium against the production stack (nginx + gunicorn,
benchmarks/production_stack.py) on 127.0.0.1: the English and Urdu home pages and a programme
component page in both languages, under two profiles:
  - default: Lighthouse's mobile defaults (simulated 150 ms RTT, 1.6 Mbit/s, CPU x4);
  - harsh-2g: simulated 300 ms RTT, 250 kbit/s, CPU x6.
Each (page, profile) runs --runs times; the table gives the median run by performance score.

    (cd benchmarks/lighthouse && npm ci)        # once: lighthouse@12.2.3, kept out of package.json
    .venv/bin/python -m benchmarks.lighthouse [--runs 3] [--json benchmarks/results/lighthouse.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.production_stack import production_stack

ROOT = Path(__file__).resolve().parent.parent

LIGHTHOUSE = ROOT / "benchmarks" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"
PAGES = ["/", "/ur/", "/programme/kafalat/", "/ur/programme/kafalat/"]
PROFILES = {
    "default": [],
    "harsh-2g": ["--throttling-method=simulate", "--throttling.rttMs=300",
                 "--throttling.throughputKbps=250", "--throttling.cpuSlowdownMultiplier=6"],
}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
METRICS = {"first-contentful-paint": "FCP", "largest-contentful-paint": "LCP", "total-blocking-time": "TBT",
           "cumulative-layout-shift": "CLS", "speed-index": "SI"}


def run_once(url: str, profile: str, out: Path, categories=CATEGORIES, chrome_flags: str = "") -> dict:
    cmd = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
           f"--chrome-flags=--headless=new --no-sandbox --disable-gpu {chrome_flags}".strip(),
           f"--only-categories={','.join(categories)}", *PROFILES[profile]]
    done = subprocess.run(cmd, env={**os.environ, "CHROME_PATH": CHROME}, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed for {url} ({profile}): {done.stderr[-2000:]}")
    report = json.loads(out.read_text())
    audits = report["audits"]
    failing = {cat: [ref["id"] for ref in report["categories"][cat]["auditRefs"]
                     if ref["weight"] > 0 and audits[ref["id"]]["score"] not in (None, 1)]
               for cat in categories}
    return {
        "scores": {cat: round(report["categories"][cat]["score"] * 100) for cat in categories},
        "metrics": {short: audits[key]["numericValue"] for key, short in METRICS.items() if key in audits},
        "bytes": audits.get("total-byte-weight", {}).get("numericValue"),
        "requests": len(((audits.get("network-requests") or {}).get("details") or {}).get("items") or []),
        "explanations": {ref: audits[ref].get("explanation") or audits[ref].get("displayValue")
                         for ids in failing.values() for ref in ids},
        "failing": {cat: ids for cat, ids in failing.items() if ids},
        "runtime_error": report.get("runtimeError"),
        "lighthouse": report["lighthouseVersion"], "chrome": report["environment"]["hostUserAgent"],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", nargs="*", default=PAGES)
    parser.add_argument("--profiles", nargs="*", default=list(PROFILES))
    parser.add_argument("--json", type=Path, help="write every run here")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} missing: (cd benchmarks/lighthouse && npm ci)")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.getloadavg()
    results = []
    with production_stack() as (nginx, _gunicorn, _redis), tempfile.TemporaryDirectory() as tmp:
        for profile in args.profiles:
            for page in args.pages:
                runs = [run_once(nginx.url + page, profile, Path(tmp) / "report.json") for _ in range(args.runs)]
                ordered = sorted(runs, key=lambda r: r["scores"]["performance"])
                median = ordered[len(ordered) // 2]
                results.append({"page": page, "profile": profile, "median": median,
                                "performance_runs": [r["scores"]["performance"] for r in runs], "runs": runs})
                print(f"{profile:9} {page:28} {median['scores']} runs={[r['scores']['performance'] for r in runs]}"
                      f" LCP={median['metrics']['LCP']:.0f}ms failing={median['failing']}", flush=True)
    print(f"\nMeasured {started}, load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"Lighthouse {results[0]['median']['lighthouse']}, {results[0]['median']['chrome']}\n")
    print("| Profile | Page | Perf (runs) | A11y | Best pr. | SEO | FCP ms | LCP ms | TBT ms | CLS | SI ms | Bytes | Requests |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        m = r["median"]
        s, x = m["scores"], m["metrics"]
        print(f"| {r['profile']} | `{r['page']}` | {s['performance']} ({', '.join(map(str, r['performance_runs']))}) "
              f"| {s['accessibility']} | {s['best-practices']} | {s['seo']} | {x['FCP']:.0f} | {x['LCP']:.0f} "
              f"| {x['TBT']:.0f} | {x['CLS']:.3f} | {x['SI']:.0f} | {m['bytes']:,.0f} | {m['requests']} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"measured": started, "load_before": load, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
