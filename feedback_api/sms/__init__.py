"""Owns the SMS channel, through Kannel: its settings, its routes (routes.py), what a text
means and what to answer (conversation.py, keywords.py, replies.py), the outbox and its
sender (store.py, sender.py), and message length (parts.py). The service speaks only to
Kannel; Kannel speaks to the operator's SMS centre (or to fakesmsc in tests).

`init_app(app)` adds the routes, the `sms-sender` command, and in one-box mode the sender
thread (the settings are in feedback_api/config.py). `queue_answer()` is registered with
storage/moderation.py's ANSWER_PUBLISHED and runs when an answer is published, inside the
transaction that saves it.
"""
from __future__ import annotations

import click
from flask import Flask, current_app

from ..storage import moderation as storage_moderation



def init_app(app: Flask) -> None:
    from ..moderation import security
    from . import routes

    app.config["SMS_ALLOWED_NETWORKS"] = routes.allowed_networks(app.config["SMS_ALLOWED_ADDRESSES"])
    if queue_answer not in storage_moderation.ANSWER_PUBLISHED:  # once per process, not per app
        storage_moderation.ANSWER_PUBLISHED.append(queue_answer)
    security.csrf.exempt(routes.bp)    # Kannel carries no session; the secret guards it
    app.register_blueprint(routes.bp)
    app.cli.add_command(sender_command)
    from .moderation_views import answer_preview, error_text
    app.jinja_env.globals.update(sms_answer_preview=answer_preview, sms_error=error_text)
    if app.config["SMS_SENDER_THREAD"] and app.config["SMS_SENDSMS_PASSWORD"]:
        from . import sender
        app.extensions["sms_sender_stop"] = sender.start_thread(app)


def why_no_sms(target: dict | None) -> str | None:
    """Why a published answer to this submission (store.sms_target) is not texted, or None
    if it is: an SMS submission, or a web one whose contact is a Pakistani mobile number and
    who consented; never a sensitive case (its content never goes by SMS). The reason is a
    key of the moderation strings' `sms_why` (moderators read it in their language)."""
    from . import phone

    if not current_app.config.get("SMS_SENDSMS_PASSWORD"):
        return "not_set_up"
    if target is None:
        return "no_submission"
    if target["sensitive"]:
        return "sensitive"
    if target["channel"] == "sms" or (target["consent"] and phone.pakistani_mobile(target["contact"])):
        return None
    return "no_mobile"


def queue_answer(db, submission_id: int, body: str, language: str) -> bool:
    """Queue a published answer for the submitter's phone if it goes by SMS (why_no_sms).
    The caller holds the transaction that saves the answer."""
    from . import parts, replies, store

    target = store.sms_target(db, submission_id)
    if why_no_sms(target):
        return False
    text = replies.answer_message(language, target["reference"], body)
    info = parts.count(text)
    return store.enqueue(db, submission_id, text, language, info["encoding"], info["parts"])


@click.command("sms-sender")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def sender_command(once: bool) -> None:
    """Send the SMS outbox through Kannel (the ehsaas-sms-sender service runs this)."""
    import signal
    import threading

    from . import sender

    app = current_app._get_current_object()
    if not app.config["SMS_SENDSMS_PASSWORD"]:
        raise click.ClickException("FEEDBACK_SMS_SENDSMS_PASSWORD is not set (Kannel's sendsms-user)")
    if once:
        sender.recover(app)
        click.echo(sender.run_once(app))
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("sms-sender: sending the outbox through " + app.config["SMS_SENDSMS_URL"])
    sender.loop(app, stop)
