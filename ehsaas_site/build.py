"""Owns what every build step needs: the project and data folders of the build, its languages,
and telling the final post-build (after every language is built) from the nested ones.

mkdocs-static-i18n builds the default language, then, inside its own `on_post_build`, builds
each other language into the same site directory and finally rewrites the search index.
Whole-site work (splitting the search index, pruning CSS, the 404 pages) must therefore run
once, after all of that: see `is_final_post_build`.
"""
from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from feedback_api import i18n


def project_dir(config) -> Path:
    """The folder of the mkdocs.yml being built (docs/, data/, node_modules/ are in it)."""
    return Path(config.config_file_path).resolve().parent


def data_dir(config) -> Path:
    return project_dir(config) / "data"


@event_priority(100)  # before any other step reads a string or a fact
def on_config(config):
    """The data directory is the one beside the mkdocs.yml being built: a copied project
    (the tests' variant builds) builds from its own data."""
    i18n.use_data_dir(data_dir(config))
    try:
        i18n.review_record()
    except ValueError as exc:
        raise PluginError(str(exc)) from exc
    return config


def i18n_plugin(config):
    return config.plugins.get("i18n")


def current_language(config) -> str:
    """The language being built now (Material's theme.language is set per build by the plugin)."""
    plugin = i18n_plugin(config)
    if plugin is not None and plugin.current_language:
        return plugin.current_language
    return config.theme.get("language") or i18n.DEFAULT_LANGUAGE


def default_language(config) -> str:
    plugin = i18n_plugin(config)
    return plugin.default_language if plugin is not None else i18n.DEFAULT_LANGUAGE


def built_languages(config) -> list[str]:
    plugin = i18n_plugin(config)
    return list(plugin.build_languages) if plugin is not None else [default_language(config)]


def language_root(config, lang: str) -> str:
    """Where a language lives, relative to the site root: "" for the default, "ur/" for Urdu."""
    return "" if lang == default_language(config) else f"{lang}/"


def is_final_post_build(config) -> bool:
    """True in the one post-build call that runs after every language has been written.

    Hooks that use this must run after the i18n plugin's own on_post_build (priority -100),
    so register them with `event_priority(-200)`. Inside the plugin's nested builds its
    `building` flag is set."""
    plugin = i18n_plugin(config)
    return plugin is None or not plugin.building


def text_direction(lang: str) -> str:
    return i18n.text_direction(lang)


def t(lang: str, key: str, **values) -> str:
    return i18n.t(lang, key, **values)


def interface_draft(lang: str) -> bool:
    """The site's interface strings in `lang` are not yet checked by a reader of it."""
    return i18n.is_draft(lang, "site")
