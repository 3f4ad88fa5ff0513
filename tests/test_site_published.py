"""The copy CI publishes (GitHub Pages): its address and its service come from settings
(SITE_URL, SITE_FEEDBACK_API). With no service, no page carries a form that would post nowhere:
the feedback and check pages say so plainly and list the official channels; every canonical and
language link is an absolute address on the published host."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from ehsaas_site import forms as site_forms
from feedback_api import i18n
from tests.fixtures_site import build_site

PUBLISHED = "https://ehsaas.example.org/outreach/"


@pytest.fixture(scope="module")
def published_site(tmp_path_factory):
    dest = tmp_path_factory.mktemp("published")
    result = build_site(dest, extra_env={"SITE_URL": PUBLISHED, "SITE_FEEDBACK_API": "none"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dest


def pages(site):
    return [p for p in site.rglob("index.html")]


def test_no_page_has_a_form_that_posts_nowhere(published_site):
    for page in pages(published_site):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<form[^>]*method="post"', html), page
        assert "forms.js" not in html, page


@pytest.mark.parametrize("lang", i18n.languages())
def test_feedback_and_check_pages_give_the_official_channels_instead(published_site, lang):
    root = published_site / ("" if lang == i18n.DEFAULT_LANGUAGE else lang)
    for name in ("feedback", "check"):
        html = (root / name / "index.html").read_text(encoding="utf-8")
        assert 'class="fb-form fb-no-service"' in html
        sentence = i18n.t(lang, "site.no_service").replace("'", "&#39;")
        assert sentence in html, (lang, name)
        for key in ("helpline", "sms", "website"):
            assert i18n.t(lang, f"site.channel_{key}") in html


def test_canonical_and_language_links_are_absolute_on_the_published_host(published_site):
    page = (published_site / "ur" / "programme" / "kafalat" / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{PUBLISHED}ur/programme/kafalat/">' in page
    links = dict((lang, href) for href, lang in re.findall(r'<link rel="alternate" href="([^"]+)" hreflang="([^"]+)">', page))
    assert links == {**{lang: f"{PUBLISHED}{'' if lang == 'en' else lang + '/'}programme/kafalat/"
                        for lang in i18n.languages()}, "x-default": f"{PUBLISHED}programme/kafalat/"}
    for path in pages(published_site):
        html = path.read_text(encoding="utf-8")
        for href in re.findall(r'<link rel="(?:canonical|alternate)" href="([^"]+)"', html):
            assert href.startswith(PUBLISHED), (path, href)


def test_a_service_address_that_is_not_a_url_stops_the_build(monkeypatch):
    config = SimpleNamespace(extra={"feedback_api": ""})
    monkeypatch.setenv("SITE_FEEDBACK_API", "feedback.example.org")
    with pytest.raises(PluginError, match="SITE_FEEDBACK_API"):
        site_forms.api_base(config)
    monkeypatch.setenv("SITE_FEEDBACK_API", "None")
    assert site_forms.api_base(config) is None
    monkeypatch.setenv("SITE_FEEDBACK_API", "https://feedback.example.org/")
    assert site_forms.action(config, "ratings") == "https://feedback.example.org/api/v1/ratings"
