"""One box: the built site at / and the service at /api/v1 under one gunicorn, as scripts/run
starts them: a reader's form post gets its confirmation, a wrong address a 404 in its language."""
from __future__ import annotations

import re

import requests


def test_site_and_service_under_one_gunicorn(built_site, gunicorn_server):
    server = gunicorn_server(env={"FEEDBACK_SITE_DIR": str(built_site), "FEEDBACK_SITE_REBUILD": "off"})
    home = requests.get(server.url + "/", timeout=10)
    assert home.status_code == 200 and 'lang="en"' in home.text
    urdu = requests.get(server.url + "/ur/", timeout=10)
    assert urdu.status_code == 200 and 'lang="ur"' in urdu.text and 'dir="rtl"' in urdu.text

    missing = requests.get(server.url + "/ur/no-such-page/", timeout=10)
    assert missing.status_code == 404 and 'lang="ur"' in missing.text
    english_missing = requests.get(server.url + "/no-such-page/", timeout=10)
    assert english_missing.status_code == 404 and 'lang="en"' in english_missing.text

    posted = requests.post(server.url + "/api/v1/submissions", timeout=10, data={
        "language": "ur", "kind": "question", "component": "langar", "message": "لنگر کہاں ہے؟",
        "page": "/ur/programme/langar/"})
    assert posted.status_code == 200 and posted.url.endswith("/received?lang=ur")  # after the 303
    reference = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", posted.text).group(0)
    status = requests.get(server.url + f"/api/v1/submissions/{reference}", timeout=10)
    assert status.json()["status"] == "received"
    assert requests.get(server.url + "/healthz", timeout=10).json()["status"] == "ok"
