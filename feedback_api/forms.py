"""Owns the HTML form partials shared by the service's pages and the static site.

`render_feedback_form(lang, values, errors, action_url)` is the one entry point the site's
build hook may call: it needs nothing from Flask, so the same markup is used in both places.
"""
from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from . import i18n, validation

TEMPLATES = Path(__file__).resolve().parent / "templates"


def template_globals() -> dict:
    """Names the form partials use; the Flask app's Jinja environment gets them too."""
    return {
        "t": i18n.t,
        "text_direction": i18n.text_direction,
        "form_kinds": validation.kinds(),
        "form_components": (*i18n.components(), "general"),
    }


@functools.cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(template_globals())
    return env


def render_feedback_form(lang: str, values: dict | None = None, errors: dict | None = None,
                         action_url: str = "/api/v1/submissions") -> Markup:
    """The feedback form in `lang`, filled with `values`, showing `errors` ({field: code})."""
    template = _environment().get_template("forms/feedback_form.html")
    return Markup(template.render(lang=lang, values=values or {}, errors=errors or {},
                                  action_url=action_url))


def render_lookup_form(lang: str, values: dict | None = None, errors: dict | None = None,
                       action_url: str = "/api/v1/submissions") -> Markup:
    template = _environment().get_template("forms/lookup_form.html")
    return Markup(template.render(lang=lang, values=values or {}, errors=errors or {},
                                  action_url=action_url))


def render_rating_form(lang: str, values: dict | None = None, errors: dict | None = None,
                       action_url: str = "/api/v1/ratings") -> Markup:
    template = _environment().get_template("forms/rating_form.html")
    return Markup(template.render(lang=lang, values=values or {}, errors=errors or {},
                                  action_url=action_url))
