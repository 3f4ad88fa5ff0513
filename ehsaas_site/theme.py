"""Owns what each page knows about its language: the `site` template context (strings in the
reader's language, draft / not-yet-translated notices, the reader's search index), Material's
own interface strings taken from data/strings, and `<html lang dir>` on every page.
"""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from . import build

# Material's interface keys (partials/languages/*.html) that we answer from data/strings, so each
# string exists once per language and a new language needs no copy of Material's partial.
MATERIAL_KEYS = {
    "direction": "meta.dir",
    "action.skip": "site.skip_to_content",
    "header": "site.header_label",
    "nav": "site.nav_label",
    "toc": "site.toc_label",
    "footer": "site.footer_label",
    "select.language": "site.select_language",
    "search": "site.search_label",
    "search.placeholder": "site.search_placeholder",
    "search.reset": "site.search_reset",
    "search.result.initializer": "site.search_loading",
}
# Pages the footer links to, when they exist (file names are the same in every language).
FOOTER_PAGES = (("stay-safe.md", "footer_stay_safe"), ("feedback.md", "footer_feedback"),
                ("about.md", "footer_about"))
HTML_TAG = re.compile(r'<html lang="([^"]+)"')
# Elements whose whitespace matters (or is code): left exactly as rendered.
VERBATIM = re.compile(r"(<(pre|textarea|script|style)\b[\s\S]*?</\2>)", re.I)

_pages_in_build: set[str] = set()


def theme_string(lang: str, key: str) -> str:
    """Material's `lang.t(key)` answered from our strings ("" = let Material answer)."""
    ours = MATERIAL_KEYS.get(key)
    if not ours:
        return ""
    try:
        return build.t(lang, ours)
    except KeyError:
        return ""


def site_context(config, page=None) -> dict:
    """Everything our templates need, in the reader's language."""
    lang = build.current_language(config)
    root = build.language_root(config, lang)
    text_lang = getattr(page.file, "locale", lang) if page is not None else lang
    meta = (page.meta if page is not None else None) or {}
    translation = meta.get("translation") or {}
    return {
        "lang": lang,
        "dir": build.text_direction(lang),
        "root": root,
        "text_lang": text_lang,
        "text_dir": build.text_direction(text_lang),
        # the plugin's fallback_to_default: an English page shown under /ur/
        "missing": text_lang != lang,
        # a draft page, or a page in a language whose interface is still a draft (the one
        # record of reviews: data/translation_review.yml, part "site")
        "draft": (isinstance(translation, dict) and translation.get("status") == "draft")
                 or (page is not None and text_lang == lang and build.interface_draft(lang)),
        "search_index": f"{root}search/index.json",
        # an absolute path, for pages served at any address (404)
        "home_path": urlsplit(config.site_url or "/").path.rstrip("/") + "/" + root,
        "footer_links": [(root + name[:-3] + "/", key) for name, key in FOOTER_PAGES
                         if name in _pages_in_build],
        "alternates": alternates(config, page) if page is not None else [],
        "t": lambda key, **values: build.t(lang, f"site.{key}", **values),
    }


@event_priority(-150)  # after the i18n plugin (-100) has sorted files per language
def alternates(config, page) -> list[dict]:
    """This page in every built language (each exists: an untranslated page shows the fallback
    text), as absolute addresses under site_url, the default language also as x-default."""
    base = (config.site_url or "/").rstrip("/") + "/"
    root = build.language_root(config, build.current_language(config))
    path = page.url.removeprefix(root) if root else page.url
    found = [{"lang": lang, "href": base + build.language_root(config, lang) + path}
             for lang in build.built_languages(config)]
    return found + [{"lang": "x-default", "href": found[0]["href"]}] if found else []


def on_files(files, config):
    _pages_in_build.clear()
    _pages_in_build.update(getattr(f, "norm_src_uri", f.src_uri) for f in files.documentation_pages())
    return files


def on_env(env, config, files):
    env.globals["theme_string"] = theme_string
    return env


def on_page_context(context, page, config, nav):
    context["site"] = site_context(config, page)
    return context


def on_template_context(context, template_name, config):
    # mkdocs-static-i18n points the language switcher at the current page by setting
    # `config.extra.alternate` as an attribute, and resets only the dict item per language.
    # Jinja reads the attribute first, so the 404 of every language after the first linked to
    # the previous build's last page. Drop the attribute: the 404 links to each language's home.
    vars(config.extra).pop("alternate", None)
    context["site"] = site_context(config)
    if template_name == "404.html":
        context["site"]["other_languages"] = other_language_homes(config)
    return context


def other_language_homes(config) -> list[dict]:
    """For the default language's 404, the one a host without per-path 404 pages (GitHub
    Pages) shows everyone: each other language's "not found" and home link, in that language."""
    lang = build.current_language(config)
    if lang != build.default_language(config):
        return []
    base = urlsplit(config.site_url or "/").path.rstrip("/") + "/"
    return [{"lang": other, "dir": build.text_direction(other),
             "title": build.t(other, "site.not_found_title"),
             "home": build.t(other, "site.not_found_home"),
             "href": base + build.language_root(config, other)}
            for other in build.built_languages(config) if other != lang]


def patch(output: str, old: str, new: str) -> str:
    """`old` replaced by `new` once, in Material's output where no template block reaches it.
    Stops the build if `old` is not there: a newer Material must not silently lose the fix."""
    if old not in output:
        raise PluginError(f"Material's HTML no longer contains {old!r}: update the patch in "
                          "ehsaas_site/theme.py (or use a template block if Material now has one)")
    return output.replace(old, new, 1)


def set_html_dir(output: str) -> str:
    """Material puts `dir` on <body> only; screen readers, the browser's own UI and CSS
    `:dir()` read it from <html>, so the root element carries it too."""
    def add_dir(match):
        return f'{match.group(0)} dir="{build.text_direction(match.group(1))}"'
    if not HTML_TAG.search(output):
        raise PluginError("Material's HTML no longer starts with <html lang=...>: update "
                          "set_html_dir in ehsaas_site/theme.py")
    return HTML_TAG.sub(add_dir, output, count=1)


def squeeze_whitespace(output: str) -> str:
    """Drop Material's template indentation and blank lines (about 10% of a page, gzipped).
    A line break stays a line break, so inline text renders exactly as before."""
    parts = VERBATIM.split(output)
    out = []
    for i, part in enumerate(parts):
        kind = i % 3  # split() yields: text, verbatim element, its tag name, text, ...
        if kind == 0:
            out.append(re.sub(r"\n[ \t\r\n]+", "\n", part))
        elif kind == 1:
            out.append(part)
    return "".join(out)


def name_toggles(output: str, lang: str) -> str:
    """Material's menu and search buttons are labels of hidden checkboxes, with only an icon
    inside: a screen reader announced "checkbox" with no name. Name them in the reader's language."""
    for toggle, key in (("drawer", "site.nav_label"), ("search", "site.search_label")):
        name = html.escape(build.t(lang, key))
        output = patch(output, f'data-md-toggle="{toggle}" type="checkbox"',
                       f'data-md-toggle="{toggle}" type="checkbox" aria-label="{name}"')
    # The search panel is a dialog; axe and Lighthouse want it named too.
    name = html.escape(build.t(lang, "site.search_label"))
    return patch(output, 'class="md-search" data-md-component="search" role="dialog"',
                 f'class="md-search" data-md-component="search" role="dialog" aria-label="{name}"')


def finish(output: str, config) -> str:
    lang = build.current_language(config)
    return squeeze_whitespace(name_toggles(set_html_dir(output), lang))


def on_post_page(output, page, config):
    return finish(output, config)


def on_post_template(output, template_name, config):
    return finish(output, config) if template_name.endswith(".html") else output
