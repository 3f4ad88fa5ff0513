"""Owns the site's forms: the service's own form partials (feedback_api/templates/forms/),
rendered in the reader's language into the pages, so the site and the service share one
markup and one set of strings (data/strings/<lang>.yml).

- feedback.md opens with the feedback / question form, right under its heading,
  check.md with the "Check my question" form (a plain GET to the service's lookup):
  `site.forms.page_form`;
- every other content page ends with "Was this page helpful?" (`site.forms.rating`);
- pages with a post form load docs/assets/forms.js (deferred; `site.forms.script`), which
  submits in place and keeps the reader's text when the network drops.
overrides/main.html places all three after the page's content.

Where the forms post: `extra.feedback_api` in mkdocs.yml, "" for the same origin (one-box
mode, scripts/run) or the service's base URL, such as https://feedback.example.org, for a
separately hosted service (which must then list the site's origin in FEEDBACK_CORS_ORIGINS).
The HTML5 limits (maxlength) are the service's defaults (feedback_api/config.py): a service
run with other FEEDBACK_*_MAX_CHARS still checks its own, and says so in the reader's language.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from . import build
from feedback_api import forms as partials

API_PREFIX = "/api/v1"
FEEDBACK_PAGE, CHECK_PAGE = "feedback.md", "check.md"
SCRIPT, DISTRICTS = "assets/forms.js", "assets/districts.json"
BASE_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")


def api_base(config) -> str:
    """`extra.feedback_api` without its trailing slash; refuses anything but "" or an
    http(s) URL, so a typo stops the build instead of publishing forms that post nowhere."""
    value = config.extra.get("feedback_api", "")
    value = "" if value is None else str(value).strip()
    if value and not BASE_URL.fullmatch(value):
        raise PluginError(f'extra.feedback_api in mkdocs.yml is "{value}": it must be empty (the '
                          'site and the service on one origin) or a URL such as https://feedback.example.org')
    return value.rstrip("/")


def action(config, route: str) -> str:
    return f"{api_base(config)}{API_PREFIX}/{route}"


def source_name(page) -> str:
    return getattr(page.file, "norm_src_uri", page.file.src_uri)


def page_path(page) -> str:
    """The page's path from the site's root, as the service's `page` field takes it."""
    return "/" + page.url.lstrip("/")


def form_for(page, config) -> str:
    lang = build.current_language(config)
    name = source_name(page)
    if name == FEEDBACK_PAGE:
        return partials.render_feedback_form(lang, {}, {}, action(config, "submissions"), districts=False)
    if name == CHECK_PAGE:
        return partials.render_lookup_form(lang, {}, {}, action(config, "submissions"))
    return ""


def on_page_context(context, page, config, nav):
    """After theme.py (its hook is listed before this one) has made `site`: what main.html places."""
    site = context.get("site")
    if site is None:
        return context
    lang = build.current_language(config)
    name = source_name(page)
    rating = None
    if name != FEEDBACK_PAGE:  # the feedback page is a form already
        rating = partials.render_rating_form(lang, {"page": page_path(page)}, {}, action(config, "ratings"))
    page_form = form_for(page, config)
    if name == FEEDBACK_PAGE and "</h1>" in (page.content or ""):
        # The feedback page is the form: right under the heading, its explanation after it.
        # Put in now, after the search plugin has indexed the page's own words.
        head, _, rest = page.content.partition("</h1>")
        page.content, page_form = f"{head}</h1>{page_form}{rest}", ""
    site["forms"] = {
        # after the page's text (not in it, so the search index stays the page's own words)
        "page_form": page_form,
        "rating": rating,
        # forms.js enhances post forms only: the check page's GET form needs nothing more.
        "script": name == FEEDBACK_PAGE or rating is not None,
    }
    return context


def districts_json() -> str:
    """District suggestions for forms.js: each region's name in every language, its districts."""
    languages = build.i18n.languages()
    regions = []
    for region in build.i18n.districts().values():
        labels = {}
        for lang in languages:
            fallback = "ur" if build.text_direction(lang) == "rtl" else "en"
            labels[lang] = region["names"].get(lang) or region["names"].get(fallback) or region["names"]["en"]
        regions.append({"names": labels, "districts": region["districts"]})
    return json.dumps({"regions": regions}, ensure_ascii=False, separators=(",", ":"))


OFFLINE_LINE = "  var OFFLINE = {};"


def with_strings(source: str) -> str:
    """forms.js with its "not sent" message in every language (data/strings: form.offline)."""
    if OFFLINE_LINE not in source:
        raise PluginError(f"docs/assets/forms.js lacks the line {OFFLINE_LINE.strip()!r} "
                          "that ehsaas_site/forms.py fills with the strings")
    table = {lang: build.t(lang, "form.offline") for lang in build.i18n.languages()}
    return source.replace(OFFLINE_LINE, "  var OFFLINE = " + json.dumps(table, ensure_ascii=False) + ";", 1)


def shrink_js(source: str) -> str:
    """forms.js without its comment lines and indentation (about a third of its bytes).
    Safe because forms.js keeps every comment on lines of its own (tests/test_forms_site.py)."""
    out, in_block = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if in_block:
            in_block = "*/" not in stripped
            continue
        if stripped.startswith("/*"):
            in_block = "*/" not in stripped
            continue
        if not stripped or stripped.startswith("//"):
            continue
        out.append(stripped)
    return "\n".join(out) + "\n"


@event_priority(-250)  # once, after the i18n plugin has built every language
def on_post_build(config):
    if not build.is_final_post_build(config):
        return
    site = Path(config.site_dir)
    (site / DISTRICTS).write_text(districts_json(), encoding="utf-8")
    script = site / SCRIPT
    if script.is_file():
        script.write_text(shrink_js(with_strings(script.read_text(encoding="utf-8"))), encoding="utf-8")

