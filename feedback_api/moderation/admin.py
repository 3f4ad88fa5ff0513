"""Owns what only admins do on the web: manage users (create, change role, disable, enable,
reset a password, clear their failed sign-in limits) and read the audit log with filters.
Every view here is admin-only."""
from __future__ import annotations

from flask import abort, redirect, request, url_for

from .. import references, storage
from ..storage import audit as audit_log, moderation as sm
from . import bp, locale, passwords, security, signin_limits
from .views import cursor, page_size, render, valid_date, viewer

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def username_problem(name: str) -> str | None:
    if not 2 <= len(name) <= 40 or not set(name) <= USERNAME_CHARS:
        return "User names are 2-40 characters: lower-case letters, digits, dot, dash, underscore."
    return None


def users_page(db, error: str | None = None, done: str | None = None, typed: dict | None = None) -> str:
    """The users list, each with its failed sign-ins of the last minutes (and whether slowed)."""
    users = sm.list_users(db)
    for user in users:
        user["failed_sign_ins"] = signin_limits.failures(user["username"])
        user["sign_in_slowed"] = signin_limits.Attempt(user["username"]).under_attack()
    return render("users.html", users=users, error=error, done=done, roles=security.ROLES,
                  password_rules=passwords.RULES, typed=typed)


@bp.route("/users", methods=["GET", "POST"])
@security.admin_required
def users():
    db = storage.get_db()
    error, done = None, request.args.get("done")
    if request.method == "POST":
        name = (request.form.get("username") or "").strip().lower()
        role = request.form.get("role")
        language = request.form.get("language") or "en"
        password = request.form.get("password") or ""
        error = ((locale.mt("users.bad_username") if username_problem(name) else None)
                 or (None if role in security.ROLES else locale.mt("users.bad_role"))
                 or (None if language in locale.ui_languages() else locale.mt("users.bad_language"))
                 or passwords.problem(password, name)
                 or (locale.mt("users.taken") if sm.user_by_name(db, name) else None))
        if error is None:
            sm.create_user(db, name, security.hash_password(password), role, by_user=viewer()["id"],
                           language=language)
            return redirect(url_for("moderation.users", done=name), 303)
        typed = {"username": request.form.get("username") or "", "role": role, "language": language}
    return users_page(db, error=error, done=done, typed=locals().get("typed")), (400 if error else 200)


@bp.post("/users/<int:user_id>")
@security.admin_required
def update_user(user_id):
    db = storage.get_db()
    target = sm.user_by_id(db, user_id)
    if target is None:
        abort(404)
    action = request.form.get("action")
    changes = {}
    if action == "disable":
        changes = {"active": 0}
    elif action == "enable":
        changes = {"active": 1}
    elif action == "role" and request.form.get("role") in security.ROLES:
        changes = {"role": request.form["role"]}
    elif action == "unlock":
        signin_limits.clear(target["username"], viewer()["id"])
        return redirect(url_for("moderation.users", done=f"sign-in limits cleared for {target['username']}"), 303)
    elif action == "password":
        problem = passwords.problem(request.form.get("password") or "", target["username"])
        if problem:
            return users_page(db, error=problem), 400
        changes = {"password_hash": security.hash_password(request.form["password"])}
    else:
        abort(400)
    loses_admin = target["role"] == "admin" and target["active"] and (
        changes.get("active") == 0 or changes.get("role") == "moderator")
    if loses_admin and sm.active_admins(db) <= 1:
        return users_page(db, error="The last active admin cannot be disabled or made a moderator."), 400
    sm.update_user(db, user_id, viewer()["id"], **changes)
    return redirect(url_for("moderation.users", done=target["username"]), 303)


@bp.get("/audit")
@security.admin_required
def audit():
    args = request.args
    filters = {
        "user": (args.get("user") or "").strip()[:40] or None,
        "action": (args.get("action") or "").strip()[:40] or None,
        "reference": references.normalise(args.get("reference") or "") if args.get("reference") else None,
        "date_from": valid_date(args.get("date_from")),
        "date_to": valid_date(args.get("date_to")),
    }
    db = storage.get_db()
    after, before = cursor("after"), cursor("before")
    rows, newer, older = audit_log.entries(db, filters, page_size(), after=after, before=before)
    total, capped = audit_log.count(db, filters)
    return render("audit.html", rows=rows, total=total, capped=capped, newer=newer, older=older,
                  filters=filters, actions=audit_log.actions(db),
                  users=[u["username"] for u in sm.list_users(db)],
                  query={k: v for k, v in filters.items() if v})
