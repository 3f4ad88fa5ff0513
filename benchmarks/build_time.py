"""Times the full strict site build (every language in mkdocs.yml), and English alone for comparison.

    .venv/bin/python benchmarks/build_time.py [runs]     # default 5 runs each; prints Markdown

English alone uses the i18n plugin's `build_only_locale: en` in a temporary config that
inherits mkdocs.yml. Each run is a fresh `mkdocs build --strict` into a temporary directory,
including the after-build work (split search index, CSS pruning with PurgeCSS, 404 pages).
"""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ehsaas_site.pages import site_languages

ROOT = Path(__file__).resolve().parent.parent


def timed_build(config: Path) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config),
                        "-d", out], cwd=ROOT, check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        return time.perf_counter() - start


def english_only_config(folder: Path) -> Path:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = text.replace("      docs_structure: folder\n", "      docs_structure: folder\n      build_only_locale: en\n", 1)
    path = folder / "mkdocs.en-only.yml"
    path.write_text(text.replace("docs_dir: docs", f"docs_dir: {ROOT / 'docs'}")
                        .replace("custom_dir: overrides", f"custom_dir: {ROOT / 'overrides'}")
                        .replace("  - hooks/", f"  - {ROOT}/hooks/"), encoding="utf-8")
    for shared in ("data", "node_modules"):  # the build reads these beside its mkdocs.yml
        (folder / shared).symlink_to(ROOT / shared)
    return path


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    languages = site_languages()
    pages = len(list((ROOT / "docs").glob("*/**/*.md")))
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(f"all {len(languages)} languages ({', '.join(languages)})", ROOT / "mkdocs.yml"),
                ("English only (build_only_locale: en)", english_only_config(Path(tmp)))]
        print(f"{runs} runs each, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
              f"{pages} Markdown files in docs/\n")
        print("| build | median | min | max |\n|---|---|---|---|")
        for name, config in rows:
            timed_build(config)  # warm the file cache and Python's bytecode first
            times = [timed_build(config) for _ in range(runs)]
            print(f"| {name} | {statistics.median(times):.2f} s | {min(times):.2f} s | {max(times):.2f} s |")


if __name__ == "__main__":
    main()
