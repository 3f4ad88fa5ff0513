"""Owns where the data directory is (data/: strings, facts, districts, components, keyword
lists, meetings, the feed snapshot): found here, once, and handed to whatever reads it.

EHSAAS_DATA_DIR names it; unset, it is the data/ folder of the checkout these packages are
installed from (`pip install -e .`, as scripts/setup does). The site build passes the data/
beside its mkdocs.yml instead (ehsaas_site/build.py), so a copied project builds from its copy.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV = "EHSAAS_DATA_DIR"


def find() -> Path:
    configured = os.environ.get(ENV, "").strip()
    path = Path(configured) if configured else Path(__file__).resolve().parent.parent / "data"
    if not (path / "strings").is_dir():
        raise FileNotFoundError(f"{path} is not a data directory (no strings/ in it): set {ENV} "
                                "to the project's data/ folder")
    return path
