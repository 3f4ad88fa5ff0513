"""Owns the user commands of the Flask CLI:
    flask --app feedback_api create-user NAME --role admin|moderator   (asks for the password)
    flask --app feedback_api disable-user NAME | enable-user NAME | set-password NAME | list-users
    flask --app feedback_api clear-sign-in-limits NAME | --all
The password is read from the terminal (hidden, twice) or, for scripts, from stdin with
--password-stdin; never from the command line, where it would land in shell history. Password
rules: moderation/passwords.py (the same as on the web)."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from .. import storage
from ..storage import moderation as sm
from . import passwords, security, signin_limits
from .admin import username_problem


def _read_password(from_stdin: bool, username: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = passwords.problem(password, username)
    if problem:
        raise click.ClickException(problem)
    return password


def _user(name: str) -> dict:
    user = sm.user_by_name(storage.get_db(), name)
    if user is None:
        raise click.ClickException(f"no user named {name!r}")
    return user


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(security.ROLES), default="moderator", show_default=True)
@click.option("--language", type=click.Choice(["en", "ur"]), default="en", show_default=True,
              help="The language moderation pages are shown in for them (they can switch).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@with_appcontext
def create_user_command(username, role, language, password_stdin):
    """Create a moderator or an admin."""
    username = username.strip().lower()
    problem = username_problem(username)
    if problem:
        raise click.ClickException(problem)
    db = storage.get_db()
    if sm.user_by_name(db, username):
        raise click.ClickException(f"a user named {username!r} exists already")
    sm.create_user(db, username, security.hash_password(_read_password(password_stdin, username)), role,
                   language=language)
    click.echo(f"created {role} {username}")


@click.command("disable-user")
@click.argument("username")
@with_appcontext
def disable_user_command(username):
    """Disable a user and end their sessions at once (history and audit entries stay)."""
    user = _user(username)
    db = storage.get_db()
    if user["role"] == "admin" and user["active"] and sm.active_admins(db) <= 1:
        raise click.ClickException("this is the last active admin: create another admin first")
    sm.update_user(db, user["id"], None, active=0)
    click.echo(f"disabled {username}")


@click.command("enable-user")
@click.argument("username")
@with_appcontext
def enable_user_command(username):
    """Enable a disabled user again."""
    sm.update_user(storage.get_db(), _user(username)["id"], None, active=1)
    click.echo(f"enabled {username}")


@click.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@with_appcontext
def set_password_command(username, password_stdin):
    """Set a new password (ends the user's sessions)."""
    user = _user(username)
    sm.update_user(storage.get_db(), user["id"], None,
                   password_hash=security.hash_password(_read_password(password_stdin, user["username"])))
    click.echo(f"password changed for {username}")


@click.command("clear-sign-in-limits")
@click.argument("username", required=False)
@click.option("--all", "everyone", is_flag=True, help="Clear the counts of every name and address.")
@with_appcontext
def clear_sign_in_limits_command(username, everyone):
    """Let a user sign in again at once after failed sign-ins (audited). With --all, every name
    and every address. Counts shared through Redis are cleared for every worker."""
    if everyone == bool(username):
        raise click.ClickException("give a user name, or --all")
    if username:
        username = _user(username)["username"]
    signin_limits.clear(username if not everyone else None, None)
    click.echo(f"sign-in limits cleared for {username or 'every name and address'}")


@click.command("list-users")
@with_appcontext
def list_users_command():
    """List users, their role, whether active, and their last sign-in."""
    for user in sm.list_users(storage.get_db()):
        state = "active" if user["active"] else "disabled"
        click.echo(f"{user['username']}\t{user['role']}\t{state}\t{user['last_sign_in_at'] or '-'}")


def init_app(app: Flask) -> None:
    for command in (create_user_command, disable_user_command, enable_user_command,
                    set_password_command, list_users_command, clear_sign_in_limits_command):
        app.cli.add_command(command)
