"""Masking (issue 15, items 3 and 4): CNICs and Pakistani phone numbers are masked by what they
are, whatever separators and digit set they are written with, everywhere text leaves a
submitter: moderators' pages, exports, the public feed, the status page, the district digest;
and the digest, like the feed, never prints the submitter's own name."""
from __future__ import annotations

import re

import pytest

from feedback_api import text
from tests.fixtures_loop import Loop

# How people write the same two numbers (CNIC 35202-1234567-1, mobile 0300-1234567).
WRITTEN = [
    "0300 - 1234567", "35202 - 1234567 - 1", "0300_1234567", "0300,1234567", "0300:1234567",
    "0300*1234567", "0300.1234567", "0300/1234567", "0300 123 4567", "+92 300 1234567",
    "0092-300-1234567", "(0300) 1234567", "0 3 0 0 1 2 3 4 5 6 7", "0300۔1234567", "0300،1234567",
    "०३०० १२३४५६७",            # Devanagari
    "০৩০০-১২৩৪৫৬৭",            # Bengali
    "۰۳۰۰-۱۲۳۴۵۶۷",            # Urdu (Extended Arabic-Indic)
    "٣٥٢٠٢ - ١٢٣٤٥٦٧ - ١",      # Arabic-Indic
    "０３００－１２３４５６７",   # full-width
    "𝟎𝟑𝟎𝟎 𝟏𝟐𝟑𝟒𝟓𝟔𝟕",          # mathematical bold (any Nd digit set)
    "051-1234567", "(042) 3571 1234", "3520212345671",
]
# Numbers that are not CNICs or phone numbers stay readable for moderators and the public.
READABLE = ["on 2024-07-10 I got 25000", "Rs. 12,000 twice", "reference 7KQ2-MXR4-TZF",
            "on 12/05/2024 at 10:30", "2024-05-12 10:30:45", "paid Rs 3,000,000,000",
            "3,00,00,00,000 rupees", "I got 3000, 4000, 5000"]


def digits_left(value: str) -> int:
    return sum(c.isdecimal() for c in value)


@pytest.mark.parametrize("written", WRITTEN)
def test_a_number_is_masked_whatever_its_separators_and_digits(written):
    masked = text.mask_numbers(f"my number is {written} please call")
    assert digits_left(masked) == 0, masked
    assert masked.startswith("my number is ") and masked.endswith(" please call")


@pytest.mark.parametrize("readable", READABLE)
def test_dates_amounts_and_references_stay_readable(readable):
    assert text.mask_numbers(readable) == readable


@pytest.mark.parametrize("shortest", ["123456789", "+12 345 6789", "۱۲۳۴۵۶۷۸۹", "00 12 345 678"])
def test_the_shortest_numbers_masked_have_nine_digits_and_are_masked(shortest):
    """mask_numbers leaves a text with fewer digits than any masked number as it is, unread:
    a number of exactly that many is still masked, however it is written."""
    assert text.FEWEST_MASKED_DIGITS == 9
    assert digits_left(text.mask_numbers(f"call {shortest} today")) == 0


def test_two_numbers_in_one_run_are_both_masked():
    assert text.mask_numbers("0300 1234567 or 0301 7654321") == "•••• ••••••• or •••• •••••••"


@pytest.fixture
def loop(tmp_path):
    return Loop(tmp_path)


def test_every_way_of_writing_is_masked_for_moderators_exports_feed_and_status_page(loop):
    from tests.fixtures_moderation import Staff, add_user
    add_user(loop.app, "mo", "moderator")
    moderator = Staff(loop.app, "mo")
    assert moderator.sign_in().status_code == 303
    message = "Please call me: " + " | ".join(WRITTEN)
    reference = loop.submit(message, language="en", district="Lahore")

    page = moderator.get(f"/moderation/submissions/{reference}").get_data(as_text=True)
    queue = moderator.get("/moderation/?status=all").get_data(as_text=True)
    export = moderator.get("/moderation/export.csv?status=all").get_data(as_text=True)
    exported_json = moderator.get("/moderation/export.json?status=all").get_json()
    assert exported_json[0]["message"].startswith("Please call me")
    for written in WRITTEN:
        for shown in (page, queue, export, exported_json[0]["message"]):
            assert written not in shown

    # An answer saved with the numbers in it: masked on save, on the status page and in the feed.
    loop.answer(reference, "We called " + " and ".join(WRITTEN), "en",
                question="Can you call " + ", ".join(WRITTEN) + "?")
    status = loop.public.get(f"/api/v1/submissions/{reference}").get_json()
    html = loop.public.get(f"/api/v1/submissions/{reference}", headers={"Accept": "text/html"}).get_data(as_text=True)
    feed = loop.feed()
    for written in WRITTEN:
        assert written not in status["answer"]["body"] and written not in html
        assert written not in feed["answers"][0]["question"] + feed["answers"][0]["answer"]
    assert digits_left(status["answer"]["body"]) == 0
    assert digits_left(feed["answers"][0]["answer"]) == 0


def test_the_status_page_masks_an_answer_stored_before_masking_knew_its_form(loop):
    reference = loop.submit("When is the payment?", language="en")
    loop.answer(reference, "We will call you.", "en", listed=False)
    loop.sql("UPDATE answers SET body = 'We will call you on 0300_1234567 or ०३०० १२३४५६७'")
    body = loop.public.get(f"/api/v1/submissions/{reference}").get_json()["answer"]["body"]
    assert body == "We will call you on ••••_••••••• or •••• •••••••"


def test_the_district_digest_cuts_out_the_submitters_own_name_as_the_feed_does(loop):
    reference = loop.submit("I am Zarmeena Qadirkhel from Lahore, when is my Kafalat payment?",
                            language="en", district="Lahore", name="Zarmeena Qadirkhel",
                            contact="zarmeena@example.org")
    loop.answer(reference, "Dear Zarmeena, write to zarmeena@example.org or call 0300_1234567.", "en",
                question="I am Zarmeena Qadirkhel from Lahore, when is my Kafalat payment?")
    page = loop.admin.get("/moderation/digest?district=Lahore&from=2000-01-01&lang=en").get_data(as_text=True)
    assert "from Lahore, when is my Kafalat payment?" in page  # the answer is in the digest
    for personal in ("Zarmeena", "Qadirkhel", "zarmeena@example.org", "1234567"):
        assert personal not in page
    feed = loop.feed()["answers"][0]
    digest_question = re.search(r'<p class="q"><strong>(.*?)</strong>', page).group(1)
    assert digest_question == feed["question"]  # one masking path, one result
