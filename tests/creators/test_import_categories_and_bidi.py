"""The ``categories`` kind (issue 16.4) and the refusal of Unicode bidirectional controls by every kind, on every
path (issue 17.7)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from creators.importers.values import BIDI_CONTROLS
from creators.models import Category, Creator, Video
from creators.services import import_file
from tests.creators.import_helpers import (
    COLLABORATIONS_HEADER,
    CREATORS_HEADER,
    VIDEOS_HEADER,
    db_state,
    lines,
    make_categories,
    make_creator,
    messages,
    write,
)
from tests.creators.test_import_tiktok import PROFILES_HEADER, profile, video
from tests.creators.test_import_tiktok import VIDEOS_HEADER as TIKTOK_VIDEOS_HEADER

pytestmark = pytest.mark.django_db

BIDI_MESSAGE = (
    "contains the Unicode bidirectional control U+{:04X}, which can make text display in another order than it "
    "reads; remove it"
)


# --- categories ---------------------------------------------------------------------------------------------------
def test_categories_then_a_generic_creators_file_import_on_a_fresh_database(tmp_path):
    assert not Category.objects.exists()
    call_command("import_data", "categories", str(write(tmp_path, lines(
        "slug,name", "beauty,Beauty", "Gaming,Video games",
    ), "categories.csv")), "--no-scoring")
    assert sorted(Category.objects.values_list("slug", "name")) == [("beauty", "Beauty"), ("gaming", "Video games")]
    report = import_file(kind="creators", path=write(tmp_path, lines(
        CREATORS_HEADER, "c1,alice,beauty,Alice,US,gaming,100", "c2,bob,gaming,,,,",
    ), "creators.csv"), queue_scoring=False)
    assert report.ok, messages(report)
    assert report.created == 2
    assert sorted(Creator.objects.values_list("handle", "primary_category__slug")) == [
        ("alice", "beauty"), ("bob", "gaming"),
    ]


def test_categories_report_created_updated_unchanged_and_reimport_changes_nothing(tmp_path):
    make_categories("beauty", "travel")  # names "Beauty", "Travel"
    path = write(tmp_path, lines("slug,name", "beauty,Beauty", "travel,Travel & trips", "food,Food"))
    report = import_file(kind="categories", path=path, queue_scoring=False)
    assert report.ok, messages(report)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert sorted(Category.objects.values_list("slug", "name")) == [
        ("beauty", "Beauty"), ("food", "Food"), ("travel", "Travel & trips"),
    ]
    again = import_file(kind="categories", path=path, queue_scoring=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_categories_reject_bad_slugs_empty_names_and_duplicates_all_at_once(tmp_path):
    before = db_state()
    report = import_file(kind="categories", path=write(tmp_path, lines(
        "slug,name", "Beauty & co,Beauty", "food,", "beauty,B", "BEAUTY,B again",
    )), queue_scoring=False)
    assert not report.ok
    assert messages(report) == [
        "line 2, column slug: 'beauty & co' is not a valid category slug (lower-case letters, digits, '-' and '_', "
        "at most 80 characters)",
        "line 3, column name: a value is required",
        "line 5, column slug: duplicate key 'beauty': already on line 4",
    ]
    assert db_state() == before


def test_the_unknown_category_error_says_how_to_add_one(tmp_path):
    report = import_file(kind="creators", path=write(tmp_path, lines(CREATORS_HEADER, "c1,alice,cooking,,,,")),
                         queue_scoring=False)
    assert messages(report) == [
        "line 2, column primary_category: unknown category 'cooking' (known categories: none yet); add it first "
        "with a categories file (slug,name), e.g. `manage.py import_data categories categories.csv`",
    ]


# --- bidirectional controls ---------------------------------------------------------------------------------------
@pytest.fixture
def alice():
    categories = make_categories("beauty")
    return make_creator("c-alice", "alice", category=categories["beauty"])


def _rejected(tmp_path, kind: str, text: str) -> list[str]:
    before = db_state()
    report = import_file(kind=kind, path=write(tmp_path, text), queue_scoring=False)
    assert not report.ok
    assert db_state() == before
    return messages(report)


@pytest.mark.parametrize("control", list(BIDI_CONTROLS))
def test_every_bidi_control_is_refused_in_a_creators_text_column(tmp_path, alice, control):
    errors = _rejected(tmp_path, "creators", lines(
        CREATORS_HEADER, "c2,bob,beauty,Bob,,,", f"c3,carol,beauty,invoice{control}gnp.exe,,,",
    ))
    assert errors == [f"line 3, column display_name: {BIDI_MESSAGE.format(ord(control))}"]


def test_categories_refuse_bidi_controls(tmp_path):
    errors = _rejected(tmp_path, "categories", lines("slug,name", "food,Food", "toys,Toys\u202e", "x\u2066,X"))
    assert errors == [
        f"line 3, column name: {BIDI_MESSAGE.format(0x202E)}",
        f"line 4, column slug: {BIDI_MESSAGE.format(0x2066)}",
    ]


@pytest.mark.parametrize("existing", [False, True], ids=["empty table", "staged path"])
@pytest.mark.parametrize("column", ["external_id", "hashtags"])
def test_videos_refuse_bidi_controls_on_every_path(tmp_path, alice, existing, column):
    """A first load (the direct path on PostgreSQL) and a load into a table with rows (the staged path); plain
    lines the fast expressions take, and a quoted cell."""
    if existing:
        Video.objects.create(external_id="v0", creator=alice, posted_at="2024-01-01T00:00:00Z", views=1, likes=0,
                             comments=0, shares=0)
    ok = "v1,c-alice,2024-05-01T10:00:00Z,100,10,2,1,false,false,,,,,fyp"
    bad = ("v\u202e2,c-alice,2024-05-01T10:00:00Z,100,10,2,1,false,false,,,,,fyp" if column == "external_id"
           else 'v2,c-alice,2024-05-01T10:00:00Z,100,10,2,1,false,false,,,,,"fyp;a\u2069d"')
    plain = "v3,c-alice,2024-05-01T10:00:00Z,100,10,2,1,false,false,,,,,fyp\u202a"
    errors = _rejected(tmp_path, "videos", lines(VIDEOS_HEADER, ok, bad, plain, *(
        f"v{n},c-alice,2024-05-01T10:00:00Z,100,10,2,1,false,false,,,,,fyp" for n in range(4, 50))))
    expected_control = 0x202E if column == "external_id" else 0x2069
    assert errors == [
        f"line 3, column {column}: {BIDI_MESSAGE.format(expected_control)}",
        f"line 4, column hashtags: {BIDI_MESSAGE.format(0x202A)}",
    ]


def test_collaborations_refuse_bidi_controls(tmp_path, alice):
    errors = _rejected(tmp_path, "collaborations", lines(
        COLLABORATIONS_HEADER, "k1,c-alice,Acme\u202d,2024-05-01T10:00:00Z,invited,,,,",
    ))
    assert errors == [f"line 2, column brand: {BIDI_MESSAGE.format(0x202D)}"]


def test_tiktok2020_creators_refuse_bidi_controls(tmp_path):
    errors = _rejected(tmp_path, "tiktok2020_creators", lines(
        PROFILES_HEADER, profile("@a"), profile("@b", genre="Com\u202bedy"),
    ))
    assert errors == [f"line 3, column Genre: {BIDI_MESSAGE.format(0x202B)}"]


def test_tiktok2020_videos_refuse_bidi_controls(tmp_path):
    errors = _rejected(tmp_path, "tiktok2020_videos", lines(
        TIKTOK_VIDEOS_HEADER, video("1", "@a"), video("2", "@b", tags="['fyp\u2067']"),
    ))
    assert errors == [f"line 3, column hashtags: {BIDI_MESSAGE.format(0x2067)}"]
