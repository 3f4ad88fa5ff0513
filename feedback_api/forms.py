"""Owns the HTML form partials shared by the service's pages and the static site.

`render_feedback_form(lang, values, errors, action_url)` is the one entry point the site's
build hook may call: it needs nothing from Flask, so the same markup is used in both places.
"""
from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from . import config, i18n, validation

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The length limits validation.py enforces (config keys), given to the partials as HTML5
# maxlength so the browser stops a reader where the server would.
LIMIT_KEYS = ("MESSAGE_MAX_CHARS", "COMMENT_MAX_CHARS", "NAME_MAX_CHARS", "CONTACT_MAX_CHARS",
              "DISTRICT_MAX_CHARS", "PAGE_MAX_CHARS")


def limits() -> dict:
    """The service's limits: the running app's config inside a request (FEEDBACK_* overrides
    included), else the defaults in config.py, which is what the static site is built with."""
    try:
        from flask import current_app, has_app_context
        if has_app_context():
            return {key: current_app.config[key] for key in LIMIT_KEYS}
    except ImportError:  # pragma: no cover (Flask is always installed with the service)
        pass
    return {key: config.default(key) for key in LIMIT_KEYS}


def district_options(lang: str) -> list[tuple[str, str]]:
    """(district, its region's name in `lang`) for the district suggestions, from
    data/districts.yml. Region names exist in English and Urdu; Arabic-script languages
    without their own get the Urdu name, others the English one."""
    fallback = "ur" if i18n.text_direction(lang) == "rtl" else "en"
    out = []
    for region in i18n.districts().values():
        names = region["names"]
        label = names.get(lang) or names.get(fallback) or names["en"]
        out += [(district, label) for district in region["districts"]]
    return out


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
                         action_url: str = "/api/v1/submissions", districts: bool = True) -> Markup:
    """The feedback form in `lang`, filled with `values`, showing `errors` ({field: code}).
    `districts=False` leaves the district suggestions empty (the static site's pages, where
    they would cost every reader about 1 KB: docs/assets/forms.js fills them on focus)."""
    template = _environment().get_template("forms/feedback_form.html")
    return Markup(template.render(lang=lang, values=values or {}, errors=errors or {},
                                  action_url=action_url, limits=limits(), submission_key=_submission_key(),
                                  districts=district_options(lang) if districts else []))


def _submission_key() -> str:
    """A fresh resubmit key when the service renders the form for one reader; "" when the site's
    build renders it once for everybody (forms.js then makes one in the reader's browser)."""
    from flask import has_request_context
    if has_request_context():
        from .resubmits import new_key
        return new_key()
    return ""


def render_lookup_form(lang: str, values: dict | None = None, errors: dict | None = None,
                       action_url: str = "/api/v1/submissions") -> Markup:
    template = _environment().get_template("forms/lookup_form.html")
    return Markup(template.render(lang=lang, values=values or {}, errors=errors or {},
                                  action_url=action_url, limits=limits()))


def render_rating_form(lang: str, values: dict | None = None, errors: dict | None = None,
                       action_url: str = "/api/v1/ratings") -> Markup:
    template = _environment().get_template("forms/rating_form.html")
    return Markup(template.render(lang=lang, values=values or {}, errors=errors or {},
                                  action_url=action_url, limits=limits()))
