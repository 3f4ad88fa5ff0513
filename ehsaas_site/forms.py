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

Where the forms post: the SITE_FEEDBACK_API environment variable when set (CI sets it for the
copy it publishes), else `extra.feedback_api` in mkdocs.yml: "" for the same origin (one-box
mode, scripts/run), the service's base URL, such as https://feedback.example.org, for a
separately hosted service (which must then list the site's origin in FEEDBACK_CORS_ORIGINS), or
"none" for a copy with no service: the feedback and check pages then show a plain sentence and
the official channels (from data/facts.yml) instead of a form, and no page asks for a rating.
The HTML5 limits (maxlength) are the service's defaults (feedback_api/config.py): a service
run with other FEEDBACK_*_MAX_CHARS still checks its own, and says so in the reader's language.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from markupsafe import Markup
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from feedback_api import forms as partials

from . import build, facts, html

API_PREFIX = "/api/v1"
FEEDBACK_PAGE, CHECK_PAGE = "feedback.md", "check.md"
SCRIPT, DISTRICTS = "assets/forms.js", "assets/districts.json"
NO_SERVICE = "none"
# The official channels listed where a form would be, when the site has no service: (string key
# under site.channel_, fact in data/facts.yml).
CHANNEL_FACTS = (("helpline", "helpline_phone"), ("sms", "sms_short_code"), ("website", "official_website"))
BASE_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")


def api_base(config) -> str | None:
    """Where the forms post, without a trailing slash: SITE_FEEDBACK_API when set (CI sets it
    for the published copy), else `extra.feedback_api`. "" is the same origin, "none" means no
    service (None: the forms are replaced by the official channels). Anything but those or an
    http(s) URL stops the build: a typo must never publish forms that post nowhere."""
    value = os.environ.get("SITE_FEEDBACK_API", config.extra.get("feedback_api", ""))
    value = "" if value is None else str(value).strip()
    if value.lower() == NO_SERVICE:
        return None
    if value and not BASE_URL.fullmatch(value):
        raise PluginError(f'SITE_FEEDBACK_API / extra.feedback_api is "{value}": it must be empty (the '
                          'site and the service on one origin), "none" (no service: the official '
                          'channels instead of forms) or a URL such as https://feedback.example.org')
    return value.rstrip("/")


def action(config, route: str) -> str:
    return f"{api_base(config)}{API_PREFIX}/{route}"


def source_name(page) -> str:
    return getattr(page.file, "norm_src_uri", page.file.src_uri)


def page_path(page) -> str:
    """The page's path from the site's root, as the service's `page` field takes it."""
    return "/" + page.url.lstrip("/")


def official_channels(lang: str) -> str:
    """A plain sentence and the programme's official channels, in place of a form."""
    channels = [(build.t(lang, f"site.channel_{key}"), Markup(facts.render_fact(fact, lang, lang)))
                for key, fact in CHANNEL_FACTS]
    return html.render("official_channels.html", lang=lang, dir=build.text_direction(lang),
                       t=lambda key: build.t(lang, key), channels=channels)


def form_for(page, config) -> str:
    lang = build.current_language(config)
    name = source_name(page)
    if name in (FEEDBACK_PAGE, CHECK_PAGE) and api_base(config) is None:
        return official_channels(lang)
    if name == FEEDBACK_PAGE:
        # The page's own path goes with the message, so moderators see where it was sent from.
        return partials.render_feedback_form(lang, {"page": page_path(page)}, {}, action(config, "submissions"),
                                             districts=False)
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
    if name != FEEDBACK_PAGE and api_base(config) is not None:  # the feedback page is a form already
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
        "script": (name == FEEDBACK_PAGE and api_base(config) is not None) or rating is not None,
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


@event_priority(-250)  # once, after the i18n plugin has built every language
def on_post_build(config):
    if not build.is_final_post_build(config):
        return
    site = Path(config.site_dir)
    (site / DISTRICTS).write_text(districts_json(), encoding="utf-8")
    script = site / SCRIPT
    if script.is_file():
        script.write_text(with_strings(script.read_text(encoding="utf-8")), encoding="utf-8")  # scripts.py minifies

