"""The site build's rules, one function at a time (fast; the built site is tested elsewhere)."""
from __future__ import annotations

import pytest
from mkdocs.exceptions import PluginError

from ehsaas_site import assets, facts, search as search_index, theme as pages
from feedback_api import i18n


def a_known_fact():
    """A confirmed fact shown as plain text (phone, SMS and web facts become links: test_facts.py)."""
    return next(k for k, v in i18n.facts().items()
                if v.get("value") not in (None, "") and v.get("kind", "text") == "text" and not v.get("display"))


def an_unset_fact():
    return next(k for k, v in i18n.facts().items() if v.get("value") is None)


def test_a_known_fact_becomes_its_value():
    key = a_known_fact()
    out = facts.replace_facts(f'Value: {{{{ fact("{key}") }}}}.', "en", "en")
    assert out == f"Value: <bdi>{i18n.facts()[key]['value']}</bdi>."


def test_fact_values_are_isolated_so_numbers_keep_their_order_in_rtl_text(monkeypatch):
    monkeypatch.setitem(i18n.facts(), "test_phone", {"value": "0800-26477", "source": "test"})
    out = facts.replace_facts('ہیلپ لائن: {{ fact("test_phone") }}۔', "ur", "ur")
    assert out == "ہیلپ لائن: <bdi>0800-26477</bdi>۔"


def test_an_unset_fact_says_so_in_the_readers_language():
    key = an_unset_fact()
    for lang in ("en", "ur"):
        out = facts.replace_facts(f"{{{{ fact('{key}') }}}}", lang, lang)
        assert i18n.t(lang, "site.fact_unconfirmed") in out
        assert "lang=" not in out  # same language as the text around it


def test_an_unset_fact_in_an_english_fallback_page_marks_its_own_language():
    out = facts.replace_facts(f'{{{{ fact("{an_unset_fact()}") }}}}', "ur", "en")
    assert 'lang="ur" dir="rtl"' in out and i18n.t("ur", "site.fact_unconfirmed") in out


def test_an_unknown_fact_stops_the_build():
    with pytest.raises(PluginError, match="no_such_fact"):
        facts.replace_facts('{{ fact("no_such_fact") }}', "en", "en")


@pytest.mark.parametrize("text", ['{{ fact(helpline_phone) }}', "{{ helpline_phone }}", "{{ fact('x' }}"])
def test_a_template_the_hook_cannot_read_stops_the_build(text):
    with pytest.raises(PluginError, match="cannot read"):
        facts.replace_facts(text, "en", "en")


def test_material_strings_come_from_our_files_and_unknown_keys_fall_through():
    assert pages.theme_string("ur", "search.placeholder") == i18n.t("ur", "site.search_placeholder")
    assert pages.theme_string("ur", "direction") == "rtl"
    assert pages.theme_string("en", "action.skip") == i18n.t("en", "site.skip_to_content")
    assert pages.theme_string("ur", "clipboard.copy") == ""  # Material answers this one


def test_html_root_gets_the_languages_direction():
    assert pages.set_html_dir('<html lang="ur" class="no-js">') == '<html lang="ur" dir="rtl" class="no-js">'
    assert pages.set_html_dir('<html lang="en" class="no-js">') == '<html lang="en" dir="ltr" class="no-js">'


def test_whitespace_squeeze_keeps_preformatted_text_and_scripts():
    html = "<div>\n    <p>a\n      b</p>\n\n</div>\n<pre>  x\n    y</pre>\n  <script>if (a)\n    b()</script>"
    out = pages.squeeze_whitespace(html)
    assert out == "<div>\n<p>a\nb</p>\n</div>\n<pre>  x\n    y</pre>\n<script>if (a)\n    b()</script>"


def test_search_entries_are_split_by_language_root_and_stripped_of_html():
    docs = [{"location": "", "title": "Home", "text": "<p>Hello &amp; welcome</p>"},
            {"location": "about/#a", "title": "A", "text": "<p>x</p>"},
            {"location": "ur/", "title": "گھر", "text": "<p>سلام</p>"},
            {"location": "sd/", "title": "sd", "text": ""}]
    en = search_index.entries_for(docs, "", ["ur/", "sd/"])
    ur = search_index.entries_for(docs, "ur/", ["ur/", "sd/"])
    assert [d["location"] for d in en] == ["", "about/#a"]
    assert en[0]["text"] == "Hello & welcome"
    assert [d["location"] for d in ur] == ["ur/"]


def test_own_css_minifier_keeps_descendant_pseudo_selectors():
    css = "/* note */\n.a :is(b, c) {\n  color: red;\n}\n.d:lang(ur) { x: y; }\n"
    assert assets.minify_css(css) == ".a :is(b,c){color:red}.d:lang(ur){x:y}\n"  # `.a :is` keeps its space


def test_a_patch_of_materials_html_that_no_longer_matches_stops_the_build():
    with pytest.raises(PluginError, match="ehsaas_site/theme.py"):
        pages.name_toggles("<html lang=\"en\"><body>a page from a newer Material</body></html>", "en")
    with pytest.raises(PluginError, match="set_html_dir"):
        pages.set_html_dir("<!doctype html><html class=\"x\">")
