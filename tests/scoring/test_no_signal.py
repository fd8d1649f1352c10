"""No signal is not zero (DESIGN 5): a reference group whose raw scores are all equal gives no index at all."""

from __future__ import annotations

import pytest

from scoring import definitions as d
from scoring.choices import INDEX_NAMES, NullReason
from tests.scoring.builders import days_before, make_creator, make_video, make_videos

pytestmark = pytest.mark.django_db


def _overall(card) -> float | None:
    present = {name: getattr(card, name) for name in INDEX_NAMES if getattr(card, name) is not None}
    if len(present) < d.OVERALL_MIN_INDICES:
        return None
    weight = sum(d.OVERALL_WEIGHTS[name] for name in present)
    return sum(d.OVERALL_WEIGHTS[name] * value for name, value in present.items()) / weight


def test_no_shoppable_video_gives_care_null_for_everyone_and_an_overall_from_the_rest(run_scoring, cards):
    # A source without shop links: nobody has a shoppable video, so every care raw score is the same 0.
    for number, days in enumerate(([1, 2, 3], [1, 3, 5, 7, 20], [2, 9, 16, 23, 30, 37, 44], [4, 40, 80])):
        creator = make_creator(f"c{number}", followers=20_000 * (number + 1))
        for position, day in enumerate(days):
            make_video(creator, days_before(day), views=1000 * (number + 1), likes=50 * (number + position + 1),
                       sponsored=position == 0 and number % 2 == 0)
    few = make_creator("few")
    make_videos(few, [1, 2])

    run = run_scoring()
    sc = cards(run)
    scored = [sc[f"c{number}"] for number in range(4)]
    assert {card.care_raw for card in scored} == {0.0}
    assert [card.care for card in scored] == [None] * 4
    assert {d.null_reason(value=card.care, raw=card.care_raw) for card in scored} == {NullReason.NO_SIGNAL}
    # Fewer than 3 videos: insufficient data, not no signal.
    assert sc["few"].care is None and sc["few"].care_raw is None
    assert d.null_reason(value=sc["few"].care, raw=sc["few"].care_raw) == NullReason.INSUFFICIENT_DATA
    # The other indices are ranked as usual, and the overall is their weighted mean (no GMV: no sales either).
    for card in scored:
        assert card.sales is None
        assert card.volume is not None and card.effectiveness is not None and card.consistency is not None
        assert card.overall == pytest.approx(_overall(card))
    assert len({card.overall for card in scored}) == 4
    # The group's median is still recorded (the "why" shows it), but no index median is.
    assert run.medians["groups"]["care"]["all"]["median"] == 0.0
    assert run.medians["indices"]["care"]["median"] is None


def test_a_single_creator_still_scores_fifty(run_scoring, cards):
    alone = make_creator("alone")
    make_videos(alone, [1, 2, 3])
    card = cards(run_scoring())["alone"]
    assert card.care == card.volume == card.consistency == d.GROUP_OF_ONE_PCT


def test_equal_raw_scores_are_null_in_any_index_but_a_group_of_one(run_scoring, cards):
    # The same three videos each: volume, care, consistency, effectiveness and collaboration all tie.
    for handle in ("a", "b", "c"):
        make_videos(make_creator(handle), [1, 8, 15], likes=10)
    sc = cards(run_scoring())
    for handle in ("a", "b", "c"):
        card = sc[handle]
        assert [getattr(card, name) for name in INDEX_NAMES] == [None] * 6
        assert card.volume_raw == pytest.approx(3 / 13)
        assert d.null_reasons({**{n: getattr(card, n) for n in INDEX_NAMES},
                               **{f"{n}_raw": getattr(card, f"{n}_raw") for n in INDEX_NAMES}},
                              INDEX_NAMES) == dict.fromkeys(("collaboration", "care", "volume", "effectiveness",
                                                             "consistency"), "no_signal") | {
                                  "sales": "insufficient_data"}
        assert card.overall is None


def test_effectiveness_without_signal_in_a_tier_is_null_there_only(run_scoring, cards):
    # 20 creators of the 10k-100k tier with the same engagement rate; 2 of the <10k tier (fallback to all) differ.
    for number in range(20):
        make_videos(make_creator(f"t{number}", followers=50_000), [1, 2, 3], views=1000, likes=100)
    for number, likes in enumerate((50, 200)):
        make_videos(make_creator(f"s{number}", followers=5_000), [1, 2, 3], views=1000, likes=likes)
    sc = cards(run_scoring())
    assert {sc[f"t{number}"].effectiveness for number in range(20)} == {None}
    # Ranked among all 22 creators (their tier has fewer than 20): lowest and highest.
    assert (sc["s0"].effectiveness, sc["s1"].effectiveness) == (0.0, 100.0)
