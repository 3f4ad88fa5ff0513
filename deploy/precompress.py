#!/usr/bin/env python3
"""Write NAME.gz next to every compressible file of a built site, at gzip's best level, for
nginx's gzip_static: readers get smaller files than on-the-fly level 6, and nginx spends no CPU
compressing them on every request.

    .venv/bin/python deploy/precompress.py /srv/ehsaas/site

Run it on every fresh build (deploy/README.md): nginx serves NAME.gz whenever it exists, so a
.gz left over from an older build would be served in place of the new file. This script
therefore rewrites every .gz it owns and removes any whose original is gone.
Standard library only.
"""
from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

SUFFIXES = {".html", ".css", ".js", ".json", ".svg", ".xml", ".ics", ".txt"}
MIN_BYTES = 256  # nginx's gzip_min_length: smaller files are not worth a header


def precompress(site: Path) -> dict:
    written = removed = 0
    for gz in site.rglob("*.gz"):
        original = gz.with_suffix("")
        if original.suffix in SUFFIXES and not original.exists():
            gz.unlink()
            removed += 1
    for path in site.rglob("*"):
        if not path.is_file() or path.suffix not in SUFFIXES or path.stat().st_size < MIN_BYTES:
            continue
        data = path.read_bytes()
        target = path.with_name(path.name + ".gz")
        # mtime=0 and no file name inside: the same build gives byte-identical files.
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(packed)
        stat = path.stat()
        os.utime(tmp, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same Last-Modified as the file
        os.replace(tmp, target)
        written += 1
    return {"written": written, "removed": removed}


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1], "index.html").is_file():
        sys.exit("usage: precompress.py BUILT_SITE_DIR (a folder with index.html)")
    result = precompress(Path(sys.argv[1]))
    print(f"precompress: {result['written']} written, {result['removed']} stale removed")
