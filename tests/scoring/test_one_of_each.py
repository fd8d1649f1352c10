"""One definition of each: the catalogue's field lists, the overall weights."""

from __future__ import annotations

from partners.models import DEFAULT_WEIGHTS, PartnerWeights
from scoring.catalogue import FIELDS, PROFILE_FIELDS, SCORECARD_FIELDS, Kind
from scoring.definitions import OVERALL_WEIGHTS
from scoring.models import Scorecard


def test_the_catalogues_scorecard_fields_are_scorecard_columns_and_the_profile_fields_its_profile():
    columns = {field.name for field in Scorecard._meta.concrete_fields}
    assert set(SCORECARD_FIELDS) <= columns
    assert set(PROFILE_FIELDS) == {spec.name for spec in FIELDS if spec.kind == Kind.PROFILE}
    assert not set(PROFILE_FIELDS) & set(SCORECARD_FIELDS)


def test_a_partners_starting_weights_are_the_platforms_overall_weights():
    assert DEFAULT_WEIGHTS is OVERALL_WEIGHTS
    assert {name: PartnerWeights._meta.get_field(name).default for name in OVERALL_WEIGHTS} == OVERALL_WEIGHTS
