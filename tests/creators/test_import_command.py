"""``import_data KIND PATH [--dry-run]`` and the scoring run queued after a committed import."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from creators import services
from creators.models import Creator
from creators.services import import_file
from tests.creators.import_helpers import CREATORS_HEADER, db_state, lines, make_categories, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def categories():
    return make_categories("beauty")


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_data", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_it_prints_the_counts(tmp_path):
    path = write(tmp_path, lines(CREATORS_HEADER, "c1,alice,beauty,,,,", "c2,bob,beauty,,,,"))
    code, out, _ = run("creators", str(path))
    assert code == 0
    assert out.startswith("creators: 2 rows; 2 created, 0 updated, 0 unchanged in ")
    code, out, _ = run("creators", str(path))
    assert out.startswith("creators: 2 rows; 0 created, 0 updated, 2 unchanged in ")


def test_a_dry_run_says_so_and_writes_nothing(tmp_path):
    code, out, _ = run("creators", str(write(tmp_path, lines(CREATORS_HEADER, "c1,alice,beauty,,,,"))), "--dry-run")
    assert code == 0
    assert "would be 1 created" in out and "(dry run: nothing written)" in out
    assert not Creator.objects.exists()


def test_invalid_input_exits_1_with_the_first_100_errors_and_how_many_more(tmp_path):
    path = write(tmp_path, lines(CREATORS_HEADER, *(f"c{n},user{n},beauty,,,,-{n + 1}" for n in range(150))))
    before = db_state()
    code, out, err = run("creators", str(path))
    assert code == 1
    assert out == ""
    shown = [line for line in err.splitlines() if line.startswith("line ")]
    assert len(shown) == 100
    assert shown[0] == "line 2, column followers: must not be negative, got '-1'"
    assert "... and 50 more errors" in err
    assert err.rstrip().endswith("rejected, 150 errors; nothing was written.")
    assert db_state() == before


def test_a_missing_file_is_a_command_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        call_command("import_data", "creators", str(tmp_path / "absent.csv"))


def test_a_committed_import_that_changed_data_queues_scoring(tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(services, "on_import_committed", lambda **kwargs: queued.append(kwargs["report"].kind))
    path = write(tmp_path, lines(CREATORS_HEADER, "c1,alice,beauty,,,,"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_file(kind="creators", path=path)
    assert (len(callbacks), queued) == (1, ["creators"])

    # Nothing changed, a dry run, a rejected file, or an explicit opt-out: nothing queued.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_file(kind="creators", path=path)
        import_file(kind="creators", path=write(tmp_path, lines(CREATORS_HEADER, "c2,bob,beauty,,,,"), "b.csv"),
                    dry_run=True)
        import_file(kind="creators", path=write(tmp_path, lines(CREATORS_HEADER, "c3,,beauty,,,,"), "c.csv"))
        import_file(kind="creators", path=write(tmp_path, lines(CREATORS_HEADER, "c4,dan,beauty,,,,"), "d.csv"),
                    queue_scoring=False)
    assert callbacks == []
    assert queued == ["creators"]


def test_the_hook_requests_a_scoring_run_named_after_the_kind(tmp_path, monkeypatch):
    scoring_services = pytest.importorskip("scoring.services", reason="the scoring engine is not on this branch yet")
    requests = []
    monkeypatch.setattr(scoring_services, "scoring_run_request", lambda **kwargs: requests.append(kwargs))
    report = import_file(kind="creators", path=write(tmp_path, lines(CREATORS_HEADER, "c1,alice,beauty,,,,")),
                         queue_scoring=False)
    services.on_import_committed(report=report)
    assert requests == [{"triggered_by": "import:creators", "requested_by": None}]
