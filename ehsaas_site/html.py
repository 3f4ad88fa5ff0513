"""Owns making HTML during the build: Jinja templates in ehsaas_site/templates/, with autoescaping
on (for .html and .md templates), so text from data files, the feed or editors is escaped unless
the code marks it safe (`Markup`, for HTML another template made). Text written by others
also goes through `| plain` (no bidi controls).

`.html` templates here are fragments placed inside a page, written one element a line for the
reader of the template: the loader joins their lines (a line break and the indentation around it
are dropped; write a space where the HTML needs one), so the page carries no whitespace the
byte budget would pay for. `.md` templates (Markdown, where line breaks matter) are kept as written.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.ext import Extension
from markupsafe import Markup, escape

from feedback_api import text

TEMPLATES = Path(__file__).resolve().parent / "templates"
LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")

__all__ = ["Fragments", "Markup", "environment", "escape", "render"]


class JoinLines(Extension):
    """Joins the lines of `.html` fragment templates before Jinja reads them."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return LINE_BREAK.sub("", source) if name and name.endswith(".html") else source


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "md"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, extensions=[JoinLines])
    # `| plain` for text written by others (the public feed): bidi embeddings, overrides and
    # isolates removed, so a hidden U+202E cannot reorder the words around it on the page.
    env.filters["plain"] = text.without_bidi
    return env


def render(name: str, **context) -> str:
    """A whole template as a string (surrounding whitespace dropped)."""
    return environment().get_template(name).render(**context).strip()


class Fragments:
    """A template's macros, called by name from Python: `fragments("answer", item)` is that
    macro's HTML as a `str`. `context` is what the macros see besides their arguments."""

    def __init__(self, name: str, **context):
        self._module = environment().get_template(name).make_module(context)

    def __call__(self, macro: str, *args, **kwargs) -> str:
        return str(getattr(self._module, macro)(*args, **kwargs))
