"""Community meetings: the data file's checks (messages an editor can act on), each language's
meetings page (none announced on the real site; upcoming and past with sample data) and the
calendar files a phone can import."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from feedback_api.i18n import components, languages, t
from tests.fixtures_editors import TODAY
from tests.fixtures_site import ROOT
from ehsaas_site import meetings as mt

LANGS = languages()


def meetings_page(site, lang):
    root = site if lang == "en" else site / lang
    return (root / "meetings" / "index.html").read_text(encoding="utf-8")


def test_the_real_data_file_announces_no_meetings_and_is_valid():
    assert mt.load(ROOT / "data" / "meetings.yml", components()) == []


@pytest.mark.parametrize("lang", LANGS)
def test_each_language_says_no_meetings_are_announced(built_site, lang):
    text = meetings_page(built_site, lang)
    assert html.escape(t(lang, "meetings.none"), quote=False) in text
    assert "<!-- meetings -->" not in text
    assert not list(built_site.rglob("*.ics"))


@pytest.mark.parametrize("lang", LANGS)
def test_sample_meetings_are_listed_upcoming_and_past_in_the_readers_language(variant_site, lang):
    text = meetings_page(variant_site, lang)
    esc = lambda key: html.escape(t(lang, key), quote=False)  # noqa: E731
    h2 = lambda key: re.search(rf"<h2[^>]*>{re.escape(esc(key))}</h2>", text).start()  # noqa: E731
    upcoming, past = h2("meetings.upcoming"), h2("meetings.past")
    headings = [(m.start(), m.group(1)) for m in re.finditer(r"<h3[^>]*>([^<]+)</h3>", text)]
    assert [h for at, h in headings if upcoming < at < past] == [f"{esc('meetings.kinds.town_hall')}: Larkana"]
    assert [h for at, h in headings if at > past] == [f"{esc('meetings.kinds.workshop')}: Swat"]
    day = TODAY + dt.timedelta(days=20)
    comma = "، " if lang != "en" else ", "
    assert (f"{day.day} {esc(f'meetings.months.m{day.month}')} {day.year}{comma}"
            f'<bdi dir="ltr">10:00–12:30</bdi>') in text
    assert esc("components.nashonuma") in text
    assert "ڪميونٽي هال" in text if lang == "sd" else "Community hall, Main Bazaar" in text
    # only upcoming meetings offer a calendar file, and the link leads to it
    links = re.findall(r'<a href="([^"]+\.ics)"', text)
    assert links == [f"{day.isoformat()}-larkana-town_hall.ics"], links
    root = variant_site if lang == "en" else variant_site / lang
    assert (root / "meetings" / links[0]).is_file()


def test_calendar_file_is_valid_icalendar_in_utc_and_in_the_readers_language(variant_site):
    day = TODAY + dt.timedelta(days=20)
    raw = (variant_site / "sd" / "meetings" / f"{day.isoformat()}-larkana-town_hall.ics").read_bytes()
    text = raw.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n")), "lines must be folded"
    unfolded = text.replace("\r\n ", "")
    # 10:00-12:30 Pakistan time (UTC+5) is 05:00-07:30 UTC
    assert f"DTSTART:{day:%Y%m%d}T050000Z" in unfolded and f"DTEND:{day:%Y%m%d}T073000Z" in unfolded
    assert f"SUMMARY:{t('sd', 'meetings.kinds.town_hall')}: Larkana" in unfolded
    assert "LOCATION:ڪميونٽي هال، مين بازار\\, Larkana" in unfolded
    assert "UID:" in unfolded and unfolded.count("BEGIN:VEVENT") == 1
    past = TODAY - dt.timedelta(days=20)
    assert (variant_site / "meetings" / f"{past.isoformat()}-swat-workshop.ics").is_file()


@pytest.mark.parametrize("entry, says", [
    ({"date": "15/01/2027"}, "date must be written YYYY-MM-DD"),
    ({"start": "10am"}, 'start must be a 24-hour time in quotes, like "14:30"'),
    ({"end": "09:00"}, "end must be later than start"),
    ({"kind": "party"}, "kind must be one of town_hall, feedback_session, workshop"),
    ({"district": None}, "add district"),
    ({"about": "housing"}, "about must be a programme part"),
])
def test_mistakes_in_the_data_file_name_the_meeting_and_what_to_change(entry, says):
    good = {"date": "2027-01-15", "start": "10:00", "kind": "town_hall", "district": "Larkana",
            "place": "Hall", "languages": ["sd"]}
    with pytest.raises(mt.MeetingError) as error:
        mt.parse([good, {**good, **entry}], known_components=components())
    assert "meeting 2" in str(error.value) and says in str(error.value)


def test_unquoted_times_and_two_meetings_on_the_same_day(tmp_path):
    path = tmp_path / "meetings.yml"
    path.write_text("meetings:\n  - {date: 2027-01-15, start: 10:00, kind: workshop, district: Swat,"
                    " place: School, languages: ps}\n", encoding="utf-8")
    [meeting] = mt.load(path)
    assert meeting.start == dt.time(10, 0) and meeting.languages == ("ps",)
    same = {"date": "2027-01-15", "start": "10:00", "kind": "workshop", "district": "Swat",
            "place": "School", "languages": ["ps"]}
    with pytest.raises(mt.MeetingError, match="give one an `id:`"):
        mt.parse([same, same])
    assert len(mt.parse([same, {**same, "id": "swat-2"}])) == 2


def test_a_broken_data_file_stops_the_build_with_the_message(tmp_path):
    from tests.fixtures_site import build_site, copy_project
    config = copy_project(tmp_path / "project")
    (config.parent / "data" / "meetings.yml").write_text(
        "meetings:\n  - date: 2027-02-30\n    start: '10:00'\n    kind: workshop\n"
        "    district: Swat\n    place: School\n    languages: [ps]\n", encoding="utf-8")
    result = build_site(tmp_path / "site", config=config)
    assert result.returncode != 0
    assert "data/meetings.yml" in result.stderr and "date must be written YYYY-MM-DD" in result.stderr
