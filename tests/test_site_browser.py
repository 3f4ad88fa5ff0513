"""The built site in Debian's Chromium at 360x640, with JavaScript on and off: what a reader
on a cheap phone sees and can do."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from feedback_api.i18n import languages, t

pytestmark = pytest.mark.browser


def record_requests(page, server):
    """Every URL the page requests; anything not on our server is refused and remembered."""
    seen, foreign = [], []

    def handle(route):
        url = route.request.url
        if url.startswith(server) or url.startswith("data:"):
            seen.append(url)
            route.continue_()
        else:
            foreign.append(url)
            route.abort()
    page.route("**/*", handle)
    return seen, foreign


def on_screen(locator) -> bool:
    box = locator.bounding_box()
    return bool(box) and box["x"] >= -1 and box["x"] + box["width"] <= 361 and box["width"] > 0


@pytest.mark.parametrize("path", ["/", "/ur/", "/programme/kafalat/", "/ur/programme/kafalat/"])
def test_page_fits_a_phone_screen_and_asks_no_third_party(phone, site_server, path):
    seen, foreign = record_requests(phone, site_server)
    phone.goto(site_server + path)
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 360, "page scrolls sideways"
    name = phone.locator(".md-header__topic .md-ellipsis").first
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth"), "the site name is cut off in the header"
    assert not foreign, foreign
    loaded = [urlsplit(u).path for u in seen]
    assert not any(p.endswith((".js", ".json")) for p in loaded), f"scripts or data on a visit: {loaded}"


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_menu_opens_and_reaches_a_page_without_javascript(phone_nojs, site_server, lang):
    root = "/" if lang == "en" else f"/{lang}/"
    phone_nojs.goto(site_server + root)
    link = phone_nojs.locator(".md-nav--primary a.md-nav__link[href$='stay-safe/']")
    assert not on_screen(link), "the menu should start closed"
    phone_nojs.click("label.md-header__button[for=__drawer]")
    phone_nojs.wait_for_timeout(400)  # the drawer slides in (CSS transition)
    assert on_screen(link), "the menu did not open"
    link.click()
    phone_nojs.wait_for_url(f"**{root}stay-safe/")


@pytest.mark.parametrize("start,expected", [("/programme/kafalat/", "/ur/programme/kafalat/"),
                                            ("/ur/programme/kafalat/", "/programme/kafalat/")])
def test_language_switcher_works_without_javascript(phone_nojs, site_server, start, expected):
    phone_nojs.goto(site_server + start)
    phone_nojs.click(".md-select button")  # a tap focuses it; the list opens with CSS alone
    target = "ur" if expected.startswith("/ur/") else "en"
    link = phone_nojs.locator(f".md-select__link[hreflang={target}]")
    link.wait_for(state="visible", timeout=3000)
    box = link.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, "the list hangs off the screen"
    link.click()
    phone_nojs.wait_for_url(site_server + expected)


def test_urdu_reads_right_to_left_in_a_nastaliq_or_naskh_font(phone_nojs, site_server):
    phone_nojs.goto(site_server + "/ur/")
    assert phone_nojs.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    article = phone_nojs.locator("article.md-typeset")
    family = article.evaluate("e => getComputedStyle(e).fontFamily")
    assert family.startswith('"Noto Nastaliq Urdu"'), family
    # the text starts at the right edge
    heading = phone_nojs.locator("article h1").bounding_box()
    assert heading["x"] + heading["width"] > 330
    assert phone_nojs.locator(".site-notice--draft").is_visible()


@pytest.mark.parametrize("lang", ["en", "ur"])
def test_search_is_hidden_without_javascript(phone_nojs, site_server, lang):
    phone_nojs.goto(site_server + ("/" if lang == "en" else "/ur/"))
    assert not phone_nojs.locator("label.md-header__button[for=__search]").is_visible()


def test_search_loads_on_tap_and_finds_only_the_readers_language(browser, site_server):
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    seen, foreign = record_requests(page, site_server)
    page.goto(site_server + "/ur/")
    assert not [u for u in seen if u.endswith((".js", ".json"))]
    page.click("label.md-header__button[for=__search]")
    page.wait_for_function("document.querySelector('.md-search-result__meta').textContent.trim()"
                           f" === {t('ur', 'site.search_type')!r}", timeout=5000)
    fetched = [urlsplit(u).path for u in seen if u.endswith((".js", ".json"))]
    assert fetched == ["/assets/search.js", "/ur/search/index.json"], fetched
    page.keyboard.type("احساس")
    page.wait_for_selector(".md-search-result__link", timeout=5000)
    hrefs = page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")
    assert hrefs and all(urlsplit(h).path.startswith("/ur/") for h in hrefs), hrefs
    assert page.locator(".md-search-result__link").first.is_visible()
    # a word in no page
    page.fill(".md-search__input", "qqqzzz")
    page.wait_for_function("document.querySelector('.md-search-result__meta').textContent"
                           f" === {t('ur', 'site.search_none')!r}", timeout=5000)
    assert not foreign, foreign
    context.close()


def test_search_result_takes_the_reader_to_the_page(browser, site_server):
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.goto(site_server + "/")
    page.click("label.md-header__button[for=__search]")
    page.locator(".md-search__input").type("scholarship")
    page.wait_for_selector(".md-search-result__link", timeout=5000)
    page.keyboard.press("Enter")
    page.wait_for_url("**/programme/undergraduate-scholarships/**", timeout=5000)
    assert unquote(urlsplit(page.url).path) == "/programme/undergraduate-scholarships/"
    context.close()


def test_a_missing_page_shows_the_404_in_the_readers_language(phone_nojs, site_server):
    response = phone_nojs.goto(site_server + "/ur/no-such-page/")
    assert response.status == 404
    assert phone_nojs.locator("h1").inner_text().strip() == t("ur", "site.not_found_title")
    phone_nojs.click(f"text={t('ur', 'site.not_found_home')}")
    phone_nojs.wait_for_url(site_server + "/ur/")


def test_numbers_from_facts_keep_their_order_in_urdu_text(phone_nojs, site_server):
    """A date or phone number inside a right-to-left sentence must not be shown back to front."""
    phone_nojs.goto(site_server + "/ur/about/")
    order = phone_nojs.evaluate("""() => {
      for (const bdi of document.querySelectorAll('article bdi')) {
        const text = bdi.textContent, m = text.match(/^(\\d+)\\D.*\\D(\\d+)$/);
        if (!m) continue;
        const node = bdi.firstChild, range = document.createRange();
        range.setStart(node, 0); range.setEnd(node, m[1].length);
        const first = range.getBoundingClientRect().x;
        range.setStart(node, text.length - m[2].length); range.setEnd(node, text.length);
        return [text, first, range.getBoundingClientRect().x];
      }
      return null;
    }""")
    if order is None:
        pytest.skip("no number-like fact value on /ur/about/ at the moment")
    text, first, last = order
    assert first < last, f"{text} is shown back to front"


@pytest.mark.parametrize("path, typed, found", [
    ("/sd/", "کفالت", "/sd/programme/kafalat/"),        # Urdu kaf on the Sindhi site (Sindhi writes ڪ)
    ("/ur/", "Kafalat", "/ur/programme/kafalat/"),       # the Roman name on the Urdu site
    ("/ps/", "kafalat", "/ps/programme/kafalat/"),
    ("/ps/", "ڈکوي", "/ps/programme/kafalat/"),          # Urdu ddal for Pashto's ډ (the service's table)
])
def test_search_finds_letter_variants_and_roman_names(browser, site_server, path, typed, found):
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.goto(site_server + path)
    page.click("label.md-header__button[for=__search]")
    page.locator(".md-search__input").type(typed)
    page.wait_for_selector(".md-search-result__link", timeout=5000)
    hrefs = [urlsplit(h).path for h in
             page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")]
    assert found in hrefs, hrefs
    context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_open_language_list_shows_every_language_whole_on_a_phone(browser, site_server, js):
    """At 360x640 the list used to cut its last name (پنجابی) and scroll."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, java_script_enabled=js)
    page = context.new_page()
    page.goto(site_server + "/ur/")
    page.focus(".md-select .md-header__button")
    page.wait_for_timeout(300)  # Material's opening transition
    box = page.evaluate("""() => { const list = document.querySelector('.md-select__list');
      const r = list.getBoundingClientRect();
      return {scroll: list.scrollHeight, client: list.clientHeight, bottom: r.bottom,
              last: [...list.querySelectorAll('a')].pop().getBoundingClientRect().bottom}; }""")
    assert box["scroll"] <= box["client"] and box["last"] <= box["bottom"], box
    assert page.locator(".md-select__list a").count() == len(languages())
    context.close()
