"""Owns sending the outbox through Kannel's sendsms interface: claim due messages, post each
once, retry with growing waits while Kannel cannot take it, give up into the moderators'
list after FEEDBACK_SMS_MAX_ATTEMPTS, and ask Kannel for delivery reports (dlr-url).

Never twice: a post that Kannel refused or never received (connection refused, an error
status) is safe to repeat; a post whose answer was lost (a timeout after sending) may have
been taken, so that message is given up, not repeated. Runs as `flask sms-sender` (the
systemd unit) or, in one-box mode (FEEDBACK_SMS_SENDER_THREAD=true), as a thread of the app.
"""
from __future__ import annotations

import logging
import threading
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from .. import storage
from . import phone, store

log = logging.getLogger(__name__)


def _dlr_url(cfg, message_id: int) -> str:
    """Where Kannel reports delivery: our route, with the secret as HTTP Basic in the URL
    (Kannel's way), and Kannel's %d for the report type."""
    base = urlsplit(cfg["SMS_SERVICE_URL"].rstrip("/"))
    user, secret = quote(str(cfg["SMS_INBOUND_USER"]), safe=""), quote(str(cfg["SMS_INBOUND_SECRET"]), safe="")
    netloc = f"{user}:{secret}@{base.hostname}" + (f":{base.port}" if base.port else "")
    path = base.path + "/api/v1/sms/delivery"
    return urlunsplit((base.scheme, netloc, path, f"id={message_id}&status=%d", ""))


def post(cfg, session: requests.Session, message: dict, number: str) -> tuple[str, str]:
    """Post one message to Kannel. ("sent", ""), ("retry", why) when it surely did not go,
    ("unknown", why) when it may have gone."""
    params = {"username": cfg["SMS_SENDSMS_USER"], "password": cfg["SMS_SENDSMS_PASSWORD"],
              "to": number, "text": message["body"], "charset": "UTF-8",
              "coding": "2" if message["encoding"] == "ucs2" else "0",
              "dlr-mask": "31", "dlr-url": _dlr_url(cfg, message["id"])}
    if cfg.get("SMS_FROM"):
        params["from"] = cfg["SMS_FROM"]
    try:
        # GET with the query, as Kannel's sendsms reads it (a POST must carry X-Kannel headers).
        response = session.get(cfg["SMS_SENDSMS_URL"], params=params,
                                timeout=(3, float(cfg["SMS_SEND_TIMEOUT_SECONDS"])))
    except requests.ConnectionError as exc:
        if isinstance(exc, requests.exceptions.ConnectTimeout) or "refused" in str(exc).lower() \
                or "Failed to establish" in str(exc):
            return "retry", "Kannel not reachable"
        return "unknown", f"connection lost after sending: {type(exc).__name__}"
    except requests.Timeout:
        return "unknown", "no answer from Kannel in time: may have been sent"
    if response.status_code in (200, 202):
        return "sent", ""
    return "retry", f"Kannel answered {response.status_code}: {response.text.strip()[:120]}"


def run_once(app, session: requests.Session | None = None) -> dict:
    """Send what is due now; returns counts by outcome."""
    cfg = app.config
    session = session or requests.Session()
    done = {"sent": 0, "retry": 0, "gave_up": 0, "cancelled": 0}
    with app.app_context():
        db = storage.get_db()
        for message in store.claim(db, int(cfg["SMS_SEND_BATCH"])):
            number = phone.pakistani_mobile(message["contact"]) or phone.canonical(message["contact"])
            if not number:
                store.mark_final(db, message["id"], "cancelled", "no contact number (erased or invalid)")
                done["cancelled"] += 1
                continue
            if store.number_state(db, phone.number_hash(cfg["SECRET_KEY"], number))["stopped"]:
                store.mark_final(db, message["id"], "cancelled", "the number sent STOP")
                done["cancelled"] += 1
                continue
            outcome, why = post(cfg, session, message, number)
            if outcome == "sent":
                store.mark_sent(db, message["id"])
                done["sent"] += 1
            elif outcome == "unknown":
                store.mark_final(db, message["id"], "gave_up", why)
                done["gave_up"] += 1
            else:
                attempts = message["attempts"]
                give_up = attempts >= int(cfg["SMS_MAX_ATTEMPTS"])
                delay = min(float(cfg["SMS_RETRY_BASE_SECONDS"]) * 2 ** (attempts - 1),
                            float(cfg["SMS_RETRY_MAX_SECONDS"]))
                store.mark_retry(db, message["id"], why, delay, give_up)
                done["gave_up" if give_up else "retry"] += 1
    return done


def recover(app) -> int:
    """At start: messages a dead sender left `sending` go to the moderators' list."""
    with app.app_context():
        older = storage.ago(int(app.config["SMS_SEND_TIMEOUT_SECONDS"]) + 30)
        return store.recover_interrupted(storage.get_db(), older)


def loop(app, stop: threading.Event) -> None:
    """Send until `stop` is set, polling every FEEDBACK_SMS_POLL_SECONDS."""
    session = requests.Session()
    recover(app)
    while not stop.is_set():
        try:
            run_once(app, session)
        except Exception:  # a locked or failing database: log, wait, go on
            log.exception("sms sender: a round failed")
        stop.wait(float(app.config["SMS_POLL_SECONDS"]))
    with app.app_context():
        storage.close_thread_connections()


def start_thread(app) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=loop, args=(app, stop), name="sms-sender", daemon=True).start()
    return stop
