"""The methodology text is generated from the definitions, and shows nothing of a tier the reader lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from scoring import definitions
from scoring.catalogue import FIELDS, Tier
from scoring.methodology import methodology_markdown


def test_the_committed_methodology_is_the_generated_one():
    committed = Path(settings.BASE_DIR, "docs", "methodology.md").read_text(encoding="utf-8")
    assert committed == methodology_markdown(), "run: python manage.py methodology_doc"


def test_the_text_carries_the_numbers_of_the_definitions():
    text = methodology_markdown()
    for name, weight in definitions.OVERALL_WEIGHTS.items():
        assert f"{name.title()} {weight:.2f}" in text
    assert f"(x + {definitions.SMOOTHING_K}·m) / (n + {definitions.SMOOTHING_K})" in text
    assert f"fewer than {definitions.TIER_MIN_GROUP} creators" in text


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z_]+", text.lower()))


COMMERCIAL_WORDS = {
    "collaboration", "care", "sales", "gmv", "gpm", "orders", "sponsored", "shoppable", "invitations",
    "invitation", "acceptance", "sponsored_share", "shoppable_share", "on_time", "median_response_h", "brand",
}


@pytest.mark.parametrize("tiers", [{Tier.PERFORMANCE}, set()])
def test_nothing_of_a_hidden_tier_appears(tiers):
    text = methodology_markdown(tiers=tiers)
    hidden = [spec for spec in FIELDS if spec.tier not in tiers | {Tier.PROFILE}]
    words = _words(text)
    assert not words & COMMERCIAL_WORDS
    for spec in hidden:
        assert spec.label not in text and f"`{spec.name}`" not in text
    if Tier.PERFORMANCE not in tiers:
        assert not words & {"volume", "effectiveness", "consistency", "overall", "impact", "engagement_rate"}


def test_the_full_text_names_every_index():
    words = _words(methodology_markdown(tiers=set(Tier)))
    assert set(definitions.OVERALL_WEIGHTS) <= words


def test_methodology_doc_check_detects_a_stale_file(tmp_path):
    target = tmp_path / "methodology.md"
    call_command("methodology_doc", "--output", str(target))
    call_command("methodology_doc", "--output", str(target), "--check")
    target.write_text("stale", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("methodology_doc", "--output", str(target), "--check")
