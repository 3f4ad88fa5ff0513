"""The forms in the built site (read by Chromium with JavaScript off, from the files): where each form is, in which language, where it
posts, that its limits are the service's, that every string it uses exists in every language,
and that the script stays small and loads only where it is needed."""
from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from feedback_api import config as service_config
from feedback_api import create_app, forms, i18n

from ehsaas_site import forms as forms_hook

ROOT = Path(__file__).resolve().parent.parent

LANGS = i18n.languages()
PARTIALS = ROOT / "feedback_api" / "templates" / "forms"


@pytest.fixture(scope="module")
def reader(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def page(reader, site: Path, lang: str, path: str):
    prefix = "" if lang == i18n.DEFAULT_LANGUAGE else f"{lang}/"
    reader.goto((site / prefix / path / "index.html").as_uri())
    return reader


@pytest.mark.parametrize("lang", LANGS)
def test_feedback_page_has_the_form_in_its_language(reader, built_site, lang):
    doc = page(reader, built_site, lang, "feedback")
    form = doc.locator("form.fb-form[method=post]")
    assert form.count() == 1 and form.get_attribute("action") == "/api/v1/submissions"
    assert form.get_attribute("lang") == lang and form.get_attribute("dir") == i18n.text_direction(lang)
    assert form.locator("input[name=language]").get_attribute("value") == lang
    assert form.locator("legend").first.inner_text().strip() == i18n.t(lang, "form.labels.kind")
    assert form.locator("button").inner_text().strip() == i18n.t(lang, "form.submit")
    kinds = \
        [form.locator("input[name=kind]").nth(i).get_attribute("value") for i in range(5)]
    assert kinds == ["question", "feedback", "complaint", "suggestion", "appreciation"]
    components = form.locator("#fb-component option")
    assert [components.nth(i).get_attribute("value") for i in range(components.count())] == \
        [*i18n.components(), "general"]
    # The form first: right under the page's heading, before its explanation, inside the article.
    assert doc.locator("article h1").locator("xpath=following-sibling::*[1][self::form]").count() == 1
    assert doc.locator("article h2").first.locator("xpath=preceding::form[contains(@class,'fb-form')]").count() == 1
    assert doc.locator("article form.fb-form[method=post]").count() == 1
    # The page's own form only: no "was this page helpful?" on the feedback form's page.
    assert doc.locator("form.fb-rating").count() == 0
    # forms.js is fetched on the first touch of a form (no script file on a mere visit).
    script = doc.locator("script[data-src$='assets/forms.js']")
    assert script.count() == 1 and doc.locator("script[src]").count() == 0


def test_form_limits_are_the_services(reader, built_site):
    """maxlength in the built pages = the limits validation.py enforces (feedback_api/config.py)."""
    doc = page(reader, built_site, "en", "feedback")
    limits = {s.name: s.default for s in service_config.SETTINGS}
    for field, key in (("#fb-message", "MESSAGE_MAX_CHARS"), ("#fb-name", "NAME_MAX_CHARS"),
                       ("#fb-contact", "CONTACT_MAX_CHARS"), ("#fb-district", "DISTRICT_MAX_CHARS")):
        assert int(doc.get_attribute(field, "maxlength")) == limits[key], field
    assert doc.get_attribute("#fb-message", "required") is not None
    doc = page(reader, built_site, "en", "about")
    assert int(doc.get_attribute("#rt-comment", "maxlength")) == limits["COMMENT_MAX_CHARS"]


def test_a_service_with_other_limits_renders_its_own(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "DATABASE": str(tmp_path / "f.db"),
                      "SECRET_KEY": "x" * 32, "MESSAGE_MAX_CHARS": 500})
    with app.app_context():
        html = str(forms.render_feedback_form("ur"))
    assert 'maxlength="500"' in html and 'maxlength="3000"' not in html


def test_honeypot_is_hidden_from_people_and_screen_readers(reader, built_site):
    doc = page(reader, built_site, "ur", "feedback")
    assert doc.get_attribute(".fb-hp", "aria-hidden") == "true"
    trap = doc.locator(".fb-hp input[name=website]")
    assert trap.get_attribute("tabindex") == "-1" and trap.get_attribute("autocomplete") == "off"
    box = doc.locator(".fb-hp").bounding_box()       # clipped to nothing on screen
    assert box["width"] <= 1 and box["height"] <= 1
    css = next((built_site / "assets" / "stylesheets").glob("site.*.css")).read_text(encoding="utf-8")
    assert re.search(r"\.fb-hp\{[^}]*clip-path:\s*inset\(50%\)", css)


@pytest.mark.parametrize("lang", LANGS)
def test_check_page_has_a_plain_get_lookup_form(reader, built_site, lang):
    doc = page(reader, built_site, lang, "check")
    form = doc.locator("form.fb-form[method=get]")
    assert form.get_attribute("action") == "/api/v1/submissions" and form.get_attribute("lang") == lang
    assert form.locator("input[name=lang]").get_attribute("value") == lang
    assert form.locator("label[for=lk-reference]").inner_text().strip() == i18n.t(lang, "form.labels.reference")


def test_every_content_page_asks_was_it_helpful(built_site):
    """Read as text (70 pages): one rating form each but the feedback page, posting this
    page's own path, in the page's language; none on the 404 pages."""
    pages = sorted(built_site.rglob("index.html"))
    assert len(pages) > 50
    for path in pages:
        html = path.read_text(encoding="utf-8")
        rel = "/" + path.parent.relative_to(built_site).as_posix() + "/"
        rel = "/" if rel == "/./" else rel
        forms_found = re.findall(r'<form class="fb-form fb-rating" method="post" action="([^"]*)"[^>]* lang="([^"]+)"', html)
        if rel.endswith("/feedback/"):
            assert not forms_found, rel
            # the message carries the page it was sent from, which moderators see (not "—")
            assert f'<input type="hidden" name="page" value="{rel}">' in html, rel
            continue
        lang = re.search(r'<html lang="([^"]+)"', html).group(1)
        assert forms_found == [("/api/v1/ratings", lang)], rel
        assert f'<input type="hidden" name="page" value="{rel}">' in html, rel
        assert f"<legend>{i18n.t(lang, 'rating.question')}</legend>" in html, rel
        assert html.index("fb-rating") < html.index("</article>"), rel    # at the foot of the content
        assert re.search(r'<script data-src="[./]*assets/forms\.js"', html), rel
    for not_found in built_site.rglob("404.html"):
        assert "fb-rating" not in not_found.read_text(encoding="utf-8")


def test_forms_target_is_one_setting():
    """extra.feedback_api: "" = same origin; a URL = a separately hosted service; else an error."""
    def config(value):
        return SimpleNamespace(extra={"feedback_api": value})
    assert forms_hook.action(config(""), "submissions") == "/api/v1/submissions"
    assert forms_hook.action(config(None), "ratings") == "/api/v1/ratings"
    assert forms_hook.action(config("https://feedback.example.org/"), "ratings") == \
        "https://feedback.example.org/api/v1/ratings"
    assert forms_hook.action(config("https://example.org/service"), "submissions") == \
        "https://example.org/service/api/v1/submissions"
    from mkdocs.exceptions import PluginError
    for bad in ("feedback.example.org", "javascript:alert(1)", "https://a b.org", "/api"):
        with pytest.raises(PluginError, match="extra.feedback_api"):
            forms_hook.api_base(config(bad))


def test_the_script_is_small_and_valid(built_site):
    shipped = (built_site / "assets" / "forms.js").read_bytes()
    assert len(gzip.compress(shipped, 6, mtime=0)) < 3 * 1024
    assert b"/*" not in shipped and b"Minified when" not in shipped   # comments gone (rjsmin)
    for lang in LANGS:                                      # "not sent" in every language
        assert json.dumps(i18n.t(lang, "form.offline"), ensure_ascii=False).encode() in shipped, lang
    node = subprocess.run(["node", "--check", str(built_site / "assets" / "forms.js")],
                          capture_output=True, text=True, timeout=60)
    assert node.returncode == 0, node.stderr
    # Not on a page without a post form.
    assert "forms.js" not in (built_site / "404.html").read_text(encoding="utf-8")


def test_district_suggestions_come_from_the_data_file(built_site):
    data = json.loads((built_site / "assets" / "districts.json").read_text(encoding="utf-8"))
    names = [d for region in data["regions"] for d in region["districts"]]
    assert names == [d for region in i18n.districts().values() for d in region["districts"]]
    for region in data["regions"]:
        assert set(region["names"]) == set(LANGS)
    # The service's own form page (no budget there) lists them without JavaScript.
    options = [o for o, _ in forms.district_options("ur")]
    assert options == names
    html = str(forms.render_feedback_form("ur"))
    assert html.count("<option value=\"Lahore\" label=\"پنجاب\">") == 1


def flatten(node, prefix=""):
    flat = {}
    for key, value in node.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _template_keys() -> tuple[set[str], set[str]]:
    """Literal string keys the partials use, and the prefixes they build keys from."""
    literal, prefixes = set(), set()
    for path in [*PARTIALS.glob("*.html"), *(ROOT / "feedback_api" / "templates" / "public").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        literal |= set(re.findall(r't\(lang, "([a-z_.]+)"\)', text))
        prefixes |= set(re.findall(r't\(lang, "([a-z_.]+\.)" ~', text))
    return literal, prefixes


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_the_forms_use_exists_in_every_language(lang):
    """Looked up in the language's own file (no fallback to English)."""
    table = i18n.strings(lang)

    def has(key):
        node = table
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return isinstance(node, str) and node.strip()

    literal, prefixes = _template_keys()
    assert "form.labels.message" in literal or "form.labels." in prefixes
    wanted = set(literal) | {"form.offline"}
    english = flatten(i18n.strings("en"))
    for prefix in prefixes:   # t(lang, "errors." ~ code): every leaf under the prefix
        wanted |= {key for key in english if key.startswith(prefix)}
    missing = sorted(k for k in wanted if not has(k))
    assert not missing, f"{lang}: {missing}"
