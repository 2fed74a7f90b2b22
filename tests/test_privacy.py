"""Patron identifiers never reach an incident; judging words get a gentle reminder."""

import pytest

from shift.barcodes import BarcodePattern, luhn_digit
from shift.privacy import REPLACEMENT, find_identifiers, judgement_words, remove_identifiers

CARD_PATTERN = BarcodePattern("patron card", 14, 14, ("2",), True, "luhn")
CARD = "2123456789012" + luhn_digit("2123456789012")


def found(text, pattern=CARD_PATTERN):
    return [f.text for f in find_identifiers(text, pattern)]


def test_a_card_matching_the_site_pattern_is_found_and_says_why():
    (finding,) = find_identifiers(f"Showed card {CARD} at the desk", CARD_PATTERN)
    assert finding.text == CARD
    assert f"Showed card {CARD}"[finding.start:finding.end] == CARD
    assert "patron card" in finding.why


def test_a_card_failing_its_check_digit_is_still_found_as_a_long_number():
    wrong = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    (finding,) = find_identifiers(f"card {wrong}", CARD_PATTERN)
    assert finding.text == wrong and "14 digits" in finding.why


@pytest.mark.parametrize("text", [
    "student number 1234567",
    "student 0012345678",
    "ID12345678",
    "read out as 2 1234 5678 9012 34",
    "card 2-1234-5678-9012-34",
    "copied 1234 5678",
    "health card 1234-567-890",
    "phone written plainly 7055550123",
    "２１２３４５６７８９",  # full-width digits
    "card 2 123 456 7890 123",  # a phone-shaped middle does not hide a card
    "card 123 456 7890 1234",
])
def test_long_numbers_are_found(text):
    assert len(find_identifiers(text, None)) == 1


@pytest.mark.parametrize("text", [
    "Called security at 705-555-0123, then (705) 555-0199.",
    "Ministry of Labour 1-877-202-0008 and +1 705 555 0123",
    "On 2026-11-24 at 19:30, again 24-11-2026",
    "Closed 1930-2000 for the alarm",
    "Rooms 301 302 303 were checked",
    "Three people, 2 of them aged about 20, at 7:45 pm; 123456 is six digits",
    "Called 705-555-0123 2 times",
])
def test_phone_numbers_dates_times_and_small_numbers_are_not_flagged(text):
    assert find_identifiers(text, CARD_PATTERN) == []


def test_the_whole_word_around_a_number_is_taken():
    assert found("ID:A12345678B said") == ["A12345678B"]


def test_a_pattern_that_says_nothing_specific_flags_no_ordinary_words():
    anything = BarcodePattern("patron card")  # a site with no [circulation.patron]
    assert find_identifiers("Room A-1234 and B12 by the door", anything) == []


def test_a_short_site_card_with_letters_is_found_by_its_pattern():
    pattern = BarcodePattern("patron card", 7, 7, ("P",))
    assert found("card P123456 shown", pattern) == ["P123456"]
    assert found("Room P12 and PRINTER", pattern) == []


def test_several_findings_in_order_and_removed():
    text = f"Card {CARD}, student 7654321; called 705-555-0123."
    findings = find_identifiers(text, CARD_PATTERN)
    assert [f.text for f in findings] == [CARD, "7654321"]
    assert remove_identifiers(text, findings) == (
        f"Card {REPLACEMENT}, student {REPLACEMENT}; called 705-555-0123.")


def test_removing_findings_of_another_text_is_refused():
    findings = find_identifiers("student 7654321", None)
    with pytest.raises(ValueError):
        remove_identifiers("a different text entirely", findings)


def test_empty_text_has_nothing():
    assert find_identifiers("", CARD_PATTERN) == []
    assert remove_identifiers("", []) == ""


def test_judgement_words_are_listed_once_as_written():
    text = "A man, Crazy and drunk, shouting; later DRUNK again. Seemed creepy."
    assert judgement_words(text) == ["Crazy", "drunk", "creepy"]


def test_quoted_words_are_what_someone_said_not_a_judgement():
    assert judgement_words('He shouted "you are crazy, you psycho" at staff.') == []
    assert judgement_words("Appears to be in his 40s, unsteady on his feet, smelled of alcohol.") == []


def test_judgement_words_are_whole_words_only():
    assert judgement_words("Scrambled the bumper stickers; the creeper plant fell") == []
