"""Owns what staff see of the site's rebuilds: the sentence a moderator reads after publishing
(when the answer will be on the site, truthfully, from site_rebuild's state) and, for admins,
the Site updates page (the mode, whether a rebuild waits or runs, the last result and why it
failed) with a "rebuild now" button in background mode."""
from __future__ import annotations

from flask import redirect, request, url_for

from .. import site_rebuild
from . import bp, locale, security
from .views import render


def site_note(published_at: str | None, removed: bool = False) -> str:
    """When the public list of answered questions shows (or drops) an answer."""
    state = site_rebuild.status()
    duration = locale.duration(site_rebuild.expected_seconds())
    if removed:
        return locale.mt(f"site_note.removed_{state['mode']}", duration=duration)
    last_ok = state["last_ok"] or {}
    if published_at and last_ok.get("feed_at") and published_at <= last_ok["feed_at"] \
            and not state["pending_since"]:
        return locale.mt("site_note.done", moment=locale.local(last_ok["finished_at"]))
    last = state["last"] or {}
    if last and not last.get("ok") and not state["running"]:
        return locale.mt("site_note.failed")
    return locale.mt(f"site_note.{state['mode']}", duration=duration)


@bp.get("/site")
@security.admin_required
def site_status():
    state = site_rebuild.status()
    message = locale.mt("site.scheduled") if request.args.get("done") else None
    return render("site.html", state=state, last=state["last"], last_ok=state["last_ok"], message=message)


@bp.post("/site/rebuild")
@security.admin_required
def site_rebuild_now():
    if site_rebuild.mode() == "background":
        site_rebuild.schedule("rebuild now")
    return redirect(url_for("moderation.site_status", done="1"), 303)
