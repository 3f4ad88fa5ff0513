"""The production deployment, end to end on 127.0.0.1 with the real parts: Debian's nginx with
the config rendered from deploy/nginx/ehsaas.conf, gunicorn (2 workers, deploy/gunicorn.conf.py)
behind it trusting one proxy hop, Redis holding the rate-limit counters, Chromium in front.
What a reader's phone would notice: pages arrive compressed and cached the right way, every
language's wrong address gets a 404 in that language, the form works without JavaScript, the
site breaks none of its own Content-Security-Policy, and nobody escapes the rate limit by
claiming another address."""
from __future__ import annotations

import gzip
import json
import re
import sqlite3
import uuid
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from feedback_api import create_app
from feedback_api.limits import client_hash
from tests.fixtures_deploy import Nginx, flask_cli, request_from
from tests.fixtures_service import SECRET, free_port

YEAR = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
SITE_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
                "referrer-policy": "same-origin", "cross-origin-opener-policy": "same-origin"}


def get(stack, path, headers=None, source="127.0.0.1"):
    return request_from(source, stack.nginx.port, "GET", path,
                        headers={"Accept-Encoding": "gzip", **(headers or {})})


def _stylesheet(html: str) -> str:
    return re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)


def _html(body: bytes, headers: dict) -> str:
    return (gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body).decode()


def test_pages_and_assets_arrive_compressed_cached_and_secured(production_stack):
    stack = production_stack
    site = stack.nginx.site
    for path, file in (("/", "index.html"), ("/ur/", "ur/index.html"),
                       ("/programme/kafalat/", "programme/kafalat/index.html")):
        status, headers, body = get(stack, path)
        assert status == 200, path
        assert headers.get("content-encoding") == "gzip" and "Accept-Encoding" in headers.get("vary", "")
        # gzip_static: the file precompressed at the best level, byte for byte.
        assert body == (site / (file + ".gz")).read_bytes(), path
        assert headers["cache-control"] == SHORT, path
        for name, value in SITE_HEADERS.items():
            assert headers.get(name) == value, (path, name)
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
        assert "strict-transport-security" not in headers   # plain HTTP here: no HSTS
        html = _html(body, headers)

    css_url = "/" + _stylesheet(html).lstrip("./")           # the page's fingerprinted stylesheet
    assert re.search(r"\.[0-9a-f]{8,}(\.min)?\.css$", css_url), css_url
    status, headers, body = get(stack, css_url)
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["cache-control"] == YEAR
    assert headers["content-type"].startswith("text/css")
    assert len(body) < 0.35 * (site / css_url.lstrip("/")).stat().st_size

    # A client that asks for no compression still gets the page (not the .gz).
    status, headers, body = request_from("127.0.0.1", stack.nginx.port, "GET", "/")
    assert status == 200 and "content-encoding" not in headers and b"<html" in body

    # Every other file the pages load: a year if its name carries a content hash, else short.
    for ref in sorted(set(re.findall(r'(?:href|src|data-src)="((?:\.\./)*assets/[^"]+)"', html))):
        path = urlsplit(urljoin(stack.url + "/programme/kafalat/", ref)).path
        status, headers, _ = get(stack, path)
        hashed = re.search(r"\.[0-9a-f]{8,}(\.min)?\.\w+$", path)
        assert status == 200 and headers["cache-control"] == (YEAR if hashed else SHORT), path

    # The service's answers are compressed by nginx but keep the service's own headers: one
    # CSP (the service's), no site Cache-Control laid over them.
    status, headers, body = get(stack, "/api/v1/openapi.json")
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["openapi"].startswith("3.")
    assert headers["content-security-policy"].count("default-src") == 1
    assert headers["content-security-policy"] != get(stack, "/")[1]["content-security-policy"]
    status, headers, _ = get(stack, "/moderation/sign-in")
    assert status == 200 and headers["cache-control"] == "no-store"
    assert headers["content-security-policy"].count("default-src") == 1


def test_every_language_gets_its_own_404(production_stack):
    stack = production_stack
    languages = sorted(p.parent.name for p in stack.nginx.site.glob("*/404.html"))
    assert {"ur", "sd", "ps", "pa-Arab"} <= set(languages)
    for lang, path in [("en", "/no-such-page/"), *((lang, f"/{lang}/no/such/page/") for lang in languages)]:
        status, headers, body = get(stack, path)
        html = _html(body, headers)
        assert status == 404, path
        assert f'lang="{lang}"' in html, (path, html[:300])
        # Its stylesheet loads from this deep path too (else the 404 page shows unstyled).
        css = urlsplit(urljoin(stack.url + path, _stylesheet(html))).path
        assert get(stack, css)[0] == 200, (path, css)
        assert headers["content-security-policy"]
    status, headers, _ = get(stack, "/ur")
    assert status == 301 and headers["location"] == "/ur/"


def _post(stack, source: str, message: str, spoof: dict | None = None) -> int:
    body = json.dumps({"kind": "question", "component": "general", "language": "en", "message": message})
    status, _, _ = request_from(source, stack.nginx.port, "POST", "/api/v1/submissions", body=body.encode(),
                                headers={"Content-Type": "application/json", **(spoof or {})})
    return status


def test_a_spoofed_address_cannot_escape_the_rate_limit(production_stack):
    """5 submissions per minute per client (counted in Redis across both workers). nginx
    overwrites X-Forwarded-For with the address it saw; the app trusts exactly that one hop."""
    stack = production_stack
    run = uuid.uuid4().hex[:8]
    spoofs = [{"X-Forwarded-For": f"203.0.113.{i}"} for i in range(1, 6)] + [
        {"X-Forwarded-For": "198.51.100.7, 198.51.100.8"}, {"X-Real-IP": "198.51.100.9"},
        {"Forwarded": "for=198.51.100.10"}, {"X-Forwarded-For": "127.0.0.3"}]
    codes = [_post(stack, "127.0.0.2", f"{run} spoofing client, message {i}", spoof)
             for i, spoof in enumerate(spoofs)]
    assert codes == [201] * 5 + [429] * (len(spoofs) - 5), codes

    # A different phone (another address) is not lumped in with it, although every request
    # reaches gunicorn from nginx at 127.0.0.1.
    assert _post(stack, "127.0.0.3", f"{run} a second, honest client") == 201
    assert _post(stack, "127.0.0.4", f"{run} a third client", {"X-Forwarded-For": "127.0.0.2"}) == 201

    # The trust chain: each stored submission carries the keyed hash of the address nginx saw.
    app = create_app({"SECRET_KEY": SECRET, "DATABASE": str(stack.database), "MIGRATE_ON_START": False,
                      "INSTANCE_PATH": str(stack.gunicorn.instance)})
    expected = {}
    for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            expected[address] = client_hash()
    conn = sqlite3.connect(stack.database)
    try:
        rows = conn.execute("SELECT message, client_hash FROM submissions WHERE message LIKE ?",
                            [f"{run}%"]).fetchall()
    finally:
        conn.close()
    by_hash = {}
    for message, digest in rows:
        by_hash.setdefault(digest, []).append(message)
    assert sorted(len(v) for v in by_hash.values()) == [1, 1, 5]
    assert len(by_hash[expected["127.0.0.2"]]) == 5
    assert by_hash[expected["127.0.0.3"]] == [f"{run} a second, honest client"]
    assert by_hash[expected["127.0.0.4"]] == [f"{run} a third client"]

    # nginx's access log saw all of it, and keeps no client's address.
    log = (stack.nginx.prefix / "access.log").read_text()
    assert "POST /api/v1/submissions 429" in log and "POST /api/v1/submissions 201" in log
    assert not re.search(r"127\.0\.0\.[2-4]\b", log)


FORM = "form.fb-form[method=post]"


def _stored(stack, reference):
    conn = sqlite3.connect(stack.database)
    try:
        return conn.execute("SELECT s.message, c.name FROM submissions s LEFT JOIN contacts c"
                            " ON c.submission_id = s.id WHERE s.reference = ?", [reference]).fetchone()
    finally:
        conn.close()


def _fill_english_form(page, message):
    assert page.locator(FORM).first.get_attribute("action") == "/api/v1/submissions"
    page.check("input[name=kind][value=question]")
    page.fill("#fb-message", message)
    page.fill("#fb-name", "Zainab Bibi")
    page.click(f"{FORM} button[type=submit]")


@pytest.mark.browser
def test_site_form_without_javascript_through_nginx(production_stack, browser):
    """The English feedback page's form, JavaScript off: the post goes through nginx to
    gunicorn, the reader lands on the confirmation with a reference, and it is stored."""
    stack = production_stack
    context = browser.new_context(viewport={"width": 360, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(stack.url) else outside.append(r.url))
    message = f"Where is the nearest Langar? (no JS, through nginx {uuid.uuid4().hex[:8]})"
    try:
        page.goto(stack.url + "/feedback/")
        _fill_english_form(page, message)
        assert re.search(r"/api/v1/submissions/[^/]+/received\?lang=en$", page.url), page.url
        reference = page.inner_text(".fb-reference").strip()
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", reference)
    finally:
        context.close()
    assert _stored(stack, reference) == (message, "Zainab Bibi")
    assert outside == []


@pytest.mark.browser
def test_site_breaks_none_of_its_csp_in_chromium(production_stack, browser):
    """With JavaScript on, the pages' inline and own scripts run under the CSP nginx sends
    (no violation reported): search loads its script and index, and the feedback form posts
    with fetch and shows its reference in place."""
    stack = production_stack
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    message = f"When is the next Kafalat payment? (JS, through nginx {uuid.uuid4().hex[:8]})"
    try:
        for path in ("/", "/ur/", "/programme/kafalat/"):
            page.goto(stack.url + path)
            assert page.evaluate("document.documentElement.classList.contains('js')"), path
        page.goto(stack.url + "/ur/")
        with page.expect_response(lambda r: r.url.endswith("/ur/search/index.json")) as index:
            page.evaluate("document.getElementById('__search').click()")
            page.focus(".md-search__input")
        assert index.value.status == 200
        page.fill(".md-search__input", "کفالت")
        page.wait_for_function("document.querySelectorAll('.md-search-result__item').length > 0", timeout=5000)

        page.goto(stack.url + "/feedback/")
        _fill_english_form(page, message)
        page.locator(".fb-done .fb-reference").wait_for(timeout=10000)
        reference = page.inner_text(".fb-done .fb-reference").strip()
        assert page.url == stack.url + "/feedback/"          # answered in place, by fetch
    finally:
        context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems
    assert _stored(stack, reference) == (message, "Zainab Bibi")


def test_https_moderator_signs_in_through_nginx(production_stack, tmp_path):
    """With TLS on, the scheme travels the same trust chain as the address: nginx sets
    X-Forwarded-Proto, the app believes one hop, so it sends HSTS, secure __Host- cookies, and
    accepts a moderator's sign-in (CSRF's HTTPS referrer check included). Plain HTTP redirects."""
    import shutil
    import subprocess

    import requests
    import urllib3

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)   # our own test certificate
    stack = production_stack
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    plain_port = free_port()
    tls = Nginx(tmp_path / "nginx-tls", stack.nginx.site, stack.nginx.upstream).start(
        tls_cert=cert, tls_key=key, redirect_listen=f"127.0.0.1:{plain_port}")
    try:
        base = f"https://127.0.0.1:{tls.port}"
        page = requests.get(base + "/ur/", verify=False, timeout=10)
        assert page.status_code == 200 and page.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "upgrade-insecure-requests" in page.headers["Content-Security-Policy"]
        api = requests.get(base + "/api/v1/openapi.json", verify=False, timeout=10)
        assert api.headers.get("Strict-Transport-Security", "").startswith("max-age=")   # the app saw https
        redirect = requests.get(f"http://127.0.0.1:{plain_port}/ur/", allow_redirects=False, timeout=10)
        assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://127.0.0.1")

        env = {"FEEDBACK_INSTANCE_PATH": str(stack.gunicorn.instance), "FEEDBACK_DATABASE": str(stack.database),
               "FEEDBACK_ENV": "production"}
        made = flask_cli(["create-user", "zainab", "--role", "moderator", "--password-stdin"], env,
                         input="a long enough passphrase 42\n")
        assert made.returncode == 0, made.stderr
        session = requests.Session()
        session.trust_env = False   # else REQUESTS_CA_BUNDLE in the environment overrides verify=False
        session.verify = False
        form = session.get(base + "/moderation/sign-in", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        signed_in = session.post(base + "/moderation/sign-in", timeout=10, allow_redirects=False,
                                 headers={"Referer": base + "/moderation/sign-in"},
                                 data={"csrf_token": token, "next": "", "username": "zainab",
                                       "password": "a long enough passphrase 42"})
        assert signed_in.status_code in (302, 303), signed_in.text[:500]
        cookies = signed_in.raw.headers.getlist("Set-Cookie")   # the session's and moderation_known
        assert len(cookies) == 2
        for cookie in cookies:
            assert cookie.startswith("__Host-") and "Secure" in cookie and "HttpOnly" in cookie
        queue = session.get(base + "/moderation/", timeout=10)
        assert queue.status_code == 200 and "sign-out" in queue.text
    finally:
        tls.stop()


def test_oversized_bodies_get_the_services_answer_then_nginxs_limit(production_stack):
    """Up to 64 KiB nginx passes the body on, so a reader whose message is too long gets the
    service's answer (its JSON error / a page in their language); far beyond, nginx refuses."""
    stack = production_stack
    body = json.dumps({"message": "x" * 40_000}).encode()
    status, headers, answer = request_from("127.0.0.5", stack.nginx.port, "POST", "/api/v1/submissions",
                                           body=body, headers={"Content-Type": "application/json"})
    assert status == 413 and headers["content-type"].startswith("application/json")
    assert json.loads(answer)["error"]["code"]
    status, _, _ = request_from("127.0.0.5", stack.nginx.port, "POST", "/api/v1/submissions",
                                body=b"m=" + b"x" * 200_000,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413


def test_submissions_keep_working_when_redis_stops(tmp_path):
    """With the installed settings, Redis going away costs the shared counters, not the
    public's submissions: limits fall back to each worker's memory and still apply."""
    from tests.fixtures_deploy import REDIS, Redis, production_settings
    from tests.fixtures_service import Gunicorn

    if not Path(REDIS).exists():
        pytest.skip(f"{REDIS} is not installed (scripts/setup --test installs redis-server)")
    redis = Redis(tmp_path / "redis").start()
    server = Gunicorn(tmp_path / "instance", env={**production_settings(redis.uri), "FEEDBACK_WORKERS": "1",
                                                  "FEEDBACK_LIMIT_SUBMISSIONS": "5 per minute"})
    try:
        server.start()
        post = lambda i: requests_post(server.url, {"message": f"redis test {i}"})
        assert post(0) == 201
        redis.stop()
        codes = [post(i) for i in range(1, 8)]
        assert codes == [201] * 5 + [429] * 2, codes     # a fresh in-memory count: 5, then the limit
    finally:
        server.stop()
        redis.stop()


def requests_post(url: str, body: dict) -> int:
    import requests
    return requests.post(url + "/api/v1/submissions", json=body, timeout=10).status_code
