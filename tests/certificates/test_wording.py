"""Certificate wording: plural forms and dates in English, Russian and Kyrgyz."""

import datetime as dt

import pytest

from certificates.wording import date_range, date_text, duration, region_name, wording


@pytest.mark.parametrize(
    ("n", "days", "hours"),
    [
        (1, "1 день", "1 час"),
        (2, "2 дня", "2 часа"),
        (4, "4 дня", "4 часа"),
        (5, "5 дней", "5 часов"),
        (11, "11 дней", "11 часов"),
        (12, "12 дней", "12 часов"),
        (21, "21 день", "21 час"),
        (22, "22 дня", "22 часа"),
        (111, "111 дней", "111 часов"),
    ],
)
def test_russian_counts_take_the_plural_form_of_their_last_digits(n, days, hours):
    assert duration("ru", hours=None, days=n) == days
    assert duration("ru", hours=n, days=3) == hours


def test_english_and_kyrgyz_counts():
    assert duration("en", hours=None, days=1) == "1 day"
    assert duration("en", hours=None, days=3) == "3 days"
    assert duration("en", hours=24, days=3) == "24 hours"
    assert duration("ky", hours=None, days=5) == "5 күн"
    assert duration("ky", hours=16, days=2) == "16 саат"


@pytest.mark.parametrize(
    ("language", "same_month", "two_months", "two_years"),
    [
        (
            "en",
            "10–12 March 2025",
            "28 February – 3 March 2025",
            "30 December 2024 – 2 January 2025",
        ),
        (
            "ru",
            "10–12 марта 2025 г.",
            "28 февраля – 3 марта 2025 г.",
            "30 декабря 2024 г. – 2 января 2025 г.",
        ),
        (
            "ky",
            "2025-жылдын 10–12-марты",
            "2025-жылдын 28-февралы – 3-марты",
            "2024-жылдын 30-декабры – 2025-жылдын 2-январы",
        ),
    ],
)
def test_date_ranges_share_what_both_ends_have_in_common(
    language, same_month, two_months, two_years
):
    assert date_range(language, dt.date(2025, 3, 10), dt.date(2025, 3, 12)) == same_month
    assert date_range(language, dt.date(2025, 2, 28), dt.date(2025, 3, 3)) == two_months
    assert date_range(language, dt.date(2024, 12, 30), dt.date(2025, 1, 2)) == two_years


def test_a_one_day_session_is_one_date():
    day = dt.date(2025, 6, 1)
    assert date_range("en", day, day) == "1 June 2025"
    assert date_range("ru", day, day) == "1 июня 2025 г."
    assert date_range("ky", day, day) == date_text("ky", day) == "2025-жылдын 1-июну"


def test_regions_are_named_in_the_certificate_language_and_unknown_ones_as_stored():
    assert region_name("ru", "Bishkek city") == "г. Бишкек"
    assert region_name("ky", "Issyk-Kul") == "Ысык-Көл облусу"
    assert region_name("en", "Issyk-Kul") == "Issyk-Kul"
    assert region_name("ky", "Atlantis") == "Atlantis"


def test_an_unknown_language_falls_back_to_english():
    assert wording("fr").title == "Certificate of completion"
    assert wording("ky").course_first
