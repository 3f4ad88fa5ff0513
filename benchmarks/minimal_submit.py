"""The comparison endpoint of benchmarks/submission_path.py: the least a Flask + sqlite-utils
service must do to store a submission with the project's durability (WAL, synchronous=FULL,
one connection per thread, a random reference, JSON in and out), and nothing else: no
validation beyond "a message is there", no duplicate or sensitive check, no rate limits.

    FEEDBACK_DATABASE=x.sqlite3 gunicorn -k gthread -w 1 --threads 8 benchmarks.minimal_submit:app
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import threading

from flask import Flask, jsonify, request
from sqlite_utils import Database

PATH = os.environ["FEEDBACK_DATABASE"]
_local = threading.local()

setup = Database(PATH)
setup.conn.execute("PRAGMA journal_mode = WAL")
setup["submissions"].create({"id": int, "reference": str, "kind": str, "component": str,
                             "language": str, "message": str}, pk="id", if_not_exists=True)
setup.close()

app = Flask(__name__)


def db() -> Database:
    if getattr(_local, "db", None) is None:
        conn = sqlite3.connect(PATH, timeout=15, isolation_level=None)
        conn.execute("PRAGMA synchronous = FULL")
        _local.db = Database(conn)
    return _local.db


@app.post("/api/v1/submissions")
def submit():
    data = request.get_json(silent=True) or {}
    if not isinstance(data.get("message"), str) or not data["message"].strip():
        return jsonify({"error": "message"}), 400
    reference = secrets.token_hex(6)
    db()["submissions"].insert({"reference": reference, "kind": data.get("kind"),
                                "component": data.get("component"), "language": data.get("language"),
                                "message": data["message"]})
    return jsonify({"reference": reference}), 201


@app.get("/livez")
def livez():
    return "ok"
