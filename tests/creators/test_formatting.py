"""Numbers as people read them: the plain "why" sentence, money, shares, hours, countries, raw scores in their
units, and follower counts typed as 250k / 1M / 1,000,000 (one field shared by the HTML list, the API, exports)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from creators import formatting
from creators.fields import COUNT_MAX, CountField, parse_count


@pytest.mark.parametrize(
    ("value", "n", "group", "expected"),
    [
        (76.6, 1971, "all creators", "Better than 77% of the 1,971 creators ranked on care."),
        (12.0, 320, "10k–100k followers",
         "Better than 12% of the 320 creators with 10k–100k followers ranked on care."),
        (55.0, 80, "all creators with known GMV", "Better than 55% of the 80 creators with known GMV ranked on care."),
        (99.7, 1971, "all creators", "Better than 99% of the 1,971 creators ranked on care."),
        (0.2, 1971, "all creators", "Better than 1% of the 1,971 creators ranked on care."),
        (100.0, 1971, "all creators", "The highest of the 1,971 creators ranked on care."),
        (0.0, 1971, "all creators", "The lowest of the 1,971 creators ranked on care."),
        (50.0, 1, "all creators", "The only one of the creators ranked on care."),
        (50.0, 0, "all creators", ""),
        (None, 1971, "all creators", ""),
    ],
)
def test_the_why_sentence_reads_the_percentile_plainly(value, n, group, expected):
    assert formatting.rank_sentence(value, n, group, "Care") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12345.678, "$12,346"), (3.4212, "$3.42"), (0, "$0"), (0.5, "$0.50"), (None, "–"), (1_250_000, "$1,250,000")],
)
def test_money_has_its_currency_and_thousands_separators(value, expected):
    assert formatting.money(value) == expected


@override_settings(GMV_CURRENCY="CHF")
def test_a_currency_without_a_symbol_shows_its_code():
    assert formatting.money(1234.5) == "1,234 CHF"


def test_shares_hours_weeks_and_raw_scores_read_in_their_units():
    assert formatting.metric(0.125, "shoppable_share") == "12.5%"
    assert formatting.metric(15.2, "median_response_h") == "15 h"
    assert formatting.metric(2.54, "median_response_h") == "2.5 h"
    assert formatting.metric(9, "active_weeks") == "9 of 13"
    assert formatting.metric(3.421, "gpm") == "$3.42 per 1,000 views"
    assert formatting.metric(1234567.0, "gmv") == "$1,234,567"
    assert formatting.raw_score(2.3077, "volume") == "2.3 videos a week"
    assert formatting.raw_score(0.0412, "effectiveness") == "4.1%"
    assert formatting.raw_score(0.3125, "care") == "31.2%"
    assert formatting.raw_score(3.421, "sales") == "$3.42 per 1,000 views"
    assert formatting.raw_score(0.612, "collaboration") == "0.61 of 1"
    assert formatting.raw_score(None, "sales") == "–"
    assert all(formatting.raw_score_meaning(name) for name in formatting.RAW_SCORES)


def test_countries_show_their_names_with_the_code():
    assert formatting.country("US") == "United States (US)"
    assert formatting.country("KR") == "South Korea (KR)"
    assert formatting.country("") == "–"
    assert formatting.country("XX") == "XX"  # unknown to the library: the code as given
    assert formatting.country_name("GB") == "United Kingdom"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1M", 1_000_000), ("250k", 250_000), ("250K", 250_000), ("1,000,000", 1_000_000), ("1.5m", 1_500_000),
     (" 12 000 ", 12_000), ("2b", 2_000_000_000), ("950", 950), ("1.2345k", 1_235), (".5k", 500)],
)
def test_follower_counts_are_read_as_people_type_them(text, expected):
    assert parse_count(text) == expected
    assert CountField(min_value=0).clean(text) == expected


@pytest.mark.parametrize("text", ["abc", "1,00", "1.5.5", "-5", "10kk", "1e6", "99999999999999999999999", "5%"])
def test_anything_else_is_refused_with_a_message(text):
    with pytest.raises(ValueError, match="followers"):
        parse_count(text)


def test_the_largest_count_is_the_databases():
    assert parse_count(str(COUNT_MAX)) == COUNT_MAX
    with pytest.raises(ValueError, match="at most"):
        parse_count(str(COUNT_MAX + 1))


@pytest.mark.parametrize(
    ("value", "shown", "direction", "words"),
    [
        (3.24, "+3.2", "up", "up 3.2 points"),
        (-1.46, "\u22121.5", "down", "down 1.5 points"),
        (0.04, "0.0", "flat", "unchanged"),
        (-0.04, "0.0", "flat", "unchanged"),
        (None, "\u2013", "", "no change to show"),
    ],
)
def test_a_change_in_points_is_shown_one_way_everywhere(value, shown, direction, words):
    # The one formatter of the list, the scorecard, the home page, the notifications page and the digest email.
    assert formatting.change(value) == shown
    assert formatting.change_direction(value) == direction
    assert formatting.change_words(value) == words
