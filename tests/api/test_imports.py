"""Staff imports: ``POST /api/v1/imports/`` and ``GET /api/v1/imports/<id>/``, and the admin's upload page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from config.celery import app as celery_app
from creators import services
from creators.api_imports import estimated_rows
from creators.models import Creator, ImportJob

IMPORTS = "/api/v1/imports/"
VIDEOS_HEADER = "external_id,creator,posted_at,views,likes,comments,shares"


@pytest.fixture(autouse=True)
def _media_and_eager_tasks(settings, tmp_path):
    """Uploaded files in a temporary folder; the job's task runs in-process when the upload commits."""
    settings.MEDIA_ROOT = tmp_path / "media"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def staff(world) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users["sam"])
    return client


def videos_file(world, *rows: str, name: str = "videos.csv") -> SimpleUploadedFile:
    text = "\n".join([VIDEOS_HEADER, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def good_rows(world, count: int = 3) -> list[str]:
    handle = world.handles_a[0]
    return [f"v{i},{handle},2026-01-0{i + 1}T10:00:00Z,{1000 + i},10,2,1" for i in range(count)]


def upload(client: APIClient, file, kind: str = "videos", captured=None, **extra):
    with captured(execute=True):
        return client.post(IMPORTS, {"kind": kind, "file": file, **extra}, format="multipart")


def test_staff_upload_a_file_and_follow_it_to_success(world, django_capture_on_commit_callbacks):
    client = staff(world)
    response = upload(client, videos_file(world, *good_rows(world)), captured=django_capture_on_commit_callbacks)
    assert response.status_code == 202
    assert "no-store" in response["Cache-Control"]
    job_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/imports/{job_id}/"
    body = client.get(f"/api/v1/imports/{job_id}/").json()
    assert body["status"] == "succeeded"
    assert (body["rows"], body["created"], body["updated"], body["unchanged"]) == (3, 3, 0, 0)
    assert body["progress_percent"] == 100
    assert body["file_name"].endswith(".csv")
    assert body["requested_by"] == "sam"
    assert body["errors"] == []
    assert world.creators[world.handles_a[0]].videos.count() == 3


def test_importing_the_same_file_twice_changes_nothing(world, django_capture_on_commit_callbacks):
    client = staff(world)
    upload(client, videos_file(world, *good_rows(world)), captured=django_capture_on_commit_callbacks)
    again = upload(client, videos_file(world, *good_rows(world)), captured=django_capture_on_commit_callbacks)
    body = client.get(f"/api/v1/imports/{again.json()['id']}/").json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 3)


def test_an_invalid_file_fails_with_every_row_error_and_writes_nothing(world, django_capture_on_commit_callbacks):
    client = staff(world)
    rows = [*good_rows(world, 2), "bad1,no_such_creator,2026-01-05T10:00:00Z,5,1,1,1", "bad2,"
            f"{world.handles_a[0]},2026-01-06T10:00:00Z,-7,1,1,1"]
    response = upload(client, videos_file(world, *rows), captured=django_capture_on_commit_callbacks)
    body = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert body["status"] == "failed"
    assert body["error_count"] == 2
    assert {(e["line"], e["column"]) for e in body["errors"]} == {(4, "creator"), (5, "views")}
    assert all(e["message"] for e in body["errors"])
    assert "nothing was written" in body["error"]
    assert not world.creators[world.handles_a[0]].videos.exists()


def test_a_dry_run_counts_and_writes_nothing(world, django_capture_on_commit_callbacks):
    client = staff(world)
    response = upload(client, videos_file(world, *good_rows(world)), dry_run="true",
                      captured=django_capture_on_commit_callbacks)
    body = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert body["status"] == "succeeded"
    assert body["dry_run"] is True
    assert body["created"] == 3
    assert not world.creators[world.handles_a[0]].videos.exists()


@pytest.mark.parametrize("data,field", [
    ({"kind": "pictures"}, "kind"),
    ({"kind": "videos", "file": None}, "file"),
])
def test_bad_uploads_are_400_naming_the_field(world, data, field):
    payload = {key: value for key, value in data.items() if value is not None}
    if "file" not in data:
        payload["file"] = videos_file(world, *good_rows(world))
    response = staff(world).post(IMPORTS, payload, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(world, settings):
    settings.IMPORT_MAX_BYTES = 10
    response = staff(world).post(IMPORTS, {"kind": "videos", "file": videos_file(world, *good_rows(world))},
                                 format="multipart")
    assert response.status_code == 400
    assert "limit" in response.json()["errors"]["file"][0]


@pytest.mark.parametrize("persona", ["alice", "bob", "dana"])
def test_partner_users_cannot_import(world, persona):
    client = APIClient()
    client.force_authenticate(world.users[persona])
    assert client.post(IMPORTS, {"kind": "videos", "file": videos_file(world, *good_rows(world))},
                       format="multipart").status_code == 403
    assert client.get("/api/v1/imports/1/").status_code == 403
    assert not ImportJob.objects.exists()


def test_anonymous_import_is_401(world):
    assert APIClient().post(IMPORTS, {}, format="multipart").status_code == 401


def test_an_unknown_job_is_404(world):
    assert staff(world).get("/api/v1/imports/999999/").status_code == 404


def test_progress_is_estimated_from_the_file_while_running(world, settings):
    rows = "\n".join(f"v{i},{world.handles_a[0]},2026-01-01T10:00:00Z,1,1,1,1" for i in range(5000))
    job = ImportJob(kind="videos", status="running", progress=2500)
    job.file.save("big.csv", SimpleUploadedFile("big.csv", f"{VIDEOS_HEADER}\n{rows}\n".encode()), save=True)
    estimate = estimated_rows(job)
    assert 4500 <= estimate <= 5500  # from the first 64 KB of a ~230 KB file
    body = staff(world).get(f"/api/v1/imports/{job.pk}/").json()
    assert 40 <= body["progress_percent"] <= 60


def test_a_running_jobs_progress_comes_from_its_worker_through_the_shared_cache(world):
    """The import's transaction hides its rows until the commit: the worker's count reaches the API through the
    shared cache while the job runs; once it has finished, the job's own count is the answer and the entry goes."""
    rows = "\n".join(f"v{i},{world.handles_a[0]},2026-01-01T10:00:00Z,1,1,1,1" for i in range(5000))
    job = ImportJob(kind="videos", status="running")
    job.file.save("big.csv", SimpleUploadedFile("big.csv", f"{VIDEOS_HEADER}\n{rows}\n".encode()), save=True)
    client = staff(world)
    assert client.get(f"/api/v1/imports/{job.pk}/").json()["progress"] == 0

    # What the worker's progress callback does after a chunk of the file (another process in production).
    services._job_progress(job_id=job.pk)(2500, None)
    body = client.get(f"/api/v1/imports/{job.pk}/").json()
    assert body["progress"] == 2500
    assert 40 <= body["progress_percent"] <= 60
    assert ImportJob.objects.get(pk=job.pk).progress == 0  # nothing written to the job's row meanwhile

    # The job was interrupted; it runs again from the start and finishes: the stale count of the first attempt
    # is gone and the job's row carries the final one.
    services.import_job_run(job_id=job.pk)
    body = client.get(f"/api/v1/imports/{job.pk}/").json()
    assert (body["status"], body["progress"], body["progress_percent"]) == ("succeeded", 5000, 100)
    assert cache.get(services._progress_key(job.pk)) is None


# --- the admin page -------------------------------------------------------------------------------------------


def test_admin_upload_page_creates_a_job_and_shows_its_outcome(world, sam_client, django_capture_on_commit_callbacks):
    assert sam_client.get("/admin/creators/importjob/add/").status_code == 200
    rows = [*good_rows(world, 1), "bad,no_such_creator,2026-01-05T10:00:00Z,5,1,1,1"]
    with django_capture_on_commit_callbacks(execute=True):
        response = sam_client.post("/admin/creators/importjob/add/",
                                   {"kind": "videos", "file": videos_file(world, *rows)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/creators/importjob/{job.pk}/change/"
    page = sam_client.get(response["Location"]).content.decode()
    assert "failed" in page
    assert "no_such_creator" in page or "unknown creator" in page.lower()
    assert '<progress id="job-progress" max="100" value="100"' in page
    assert "<script>" not in page  # finished: no more polling


def test_admin_job_page_polls_the_api_while_running(world, sam_client, settings):
    job = ImportJob(kind="videos", status="pending")
    job.file.save("v.csv", videos_file(world, *good_rows(world)), save=True)
    page = sam_client.get(f"/admin/creators/importjob/{job.pk}/change/").content.decode()
    assert f"/api/v1/imports/{job.pk}/" in page
    assert '<progress id="job-progress" max="100" value="0"' in page
    # The page's script reads the API with the staff session: that call works.
    assert sam_client.get(f"/api/v1/imports/{job.pk}/").json()["status"] == "pending"


def test_admin_upload_page_is_staff_only(world, alice_client):
    response = alice_client.get("/admin/creators/importjob/add/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not Creator.objects.filter(handle="x").exists()


def test_categories_upload_through_the_api_and_the_admin(world, sam_client, django_capture_on_commit_callbacks):
    from creators.models import Category

    def categories_file(*rows: str) -> SimpleUploadedFile:
        return SimpleUploadedFile("categories.csv", "\n".join(["slug,name", *rows]).encode() + b"\n",
                                  content_type="text/csv")

    client = staff(world)
    response = upload(client, categories_file("knitting,Knitting"), kind="categories",
                      captured=django_capture_on_commit_callbacks)
    assert response.status_code == 202
    body = client.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert body["status"] == "succeeded", body["errors"]
    assert (body["created"], body["updated"]) == (1, 0)
    with django_capture_on_commit_callbacks(execute=True):
        response = sam_client.post("/admin/creators/importjob/add/",
                                   {"kind": "categories", "file": categories_file("knitting,Knitting & yarn")})
    assert response.status_code == 302
    assert Category.objects.get(slug="knitting").name == "Knitting & yarn"


# --- the admin's banner follows the outcome; counts in words (issue 18 item 7) ----------------------------------
def _banners(html: str) -> list[tuple[str, str]]:
    """The admin's messages on a page: (level class, text)."""
    import re
    from html import unescape

    listing = re.search(r'<ul class="messagelist">(.*?)</ul>', html, re.S)
    if not listing:
        return []
    return [(level, unescape(re.sub(r"<[^>]+>", "", text)).strip())
            for level, text in re.findall(r'<li class="([^"]*)">(.*?)</li>', listing.group(1), re.S)]


def test_a_rejected_upload_shows_one_red_banner_and_no_queued_one(world, sam_client,
                                                                 django_capture_on_commit_callbacks):
    rows = [*good_rows(world, 1), "bad,no_such_creator,2026-01-05T10:00:00Z,5,1,1,1"]
    with django_capture_on_commit_callbacks(execute=True):
        response = sam_client.post("/admin/creators/importjob/add/",
                                   {"kind": "videos", "file": videos_file(world, *rows)})
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.error_count == 1
    # The job finished before its page was shown (a fast worker): the page has only the outcome's banner.
    banners = _banners(sam_client.get(response["Location"]).content.decode())
    assert [level for level, _ in banners] == ["error"]
    assert "queued" not in banners[0][1]
    assert "rejected with 1 error;" in banners[0][1]
    # The next page shows no leftover banner.
    assert _banners(sam_client.get("/admin/creators/importjob/").content.decode()) == []


def test_a_good_upload_shows_a_success_banner(world, sam_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = sam_client.post("/admin/creators/importjob/add/",
                                   {"kind": "videos", "file": videos_file(world, *good_rows(world, 2))})
    assert ImportJob.objects.get().status == "succeeded"
    assert [level for level, _ in _banners(sam_client.get(response["Location"]).content.decode())] == ["success"]


def test_a_waiting_job_says_queued_as_information(world, sam_client):
    job = ImportJob(kind="videos", status="pending")
    job.file.save("v.csv", videos_file(world, *good_rows(world)), save=True)
    banners = _banners(sam_client.get(f"/admin/creators/importjob/{job.pk}/change/").content.decode())
    assert banners == [("info", f"Import {job.pk} of videos is queued; this page follows it.")]


def test_error_counts_are_pluralized(world, django_capture_on_commit_callbacks, tmp_path):
    from django.core.management import call_command

    from creators.services import import_job_create

    for bad in (1, 2):
        rows = [f"bad{i},no_such_creator,2026-01-05T10:00:00Z,5,1,1,1" for i in range(bad)]
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(kind="videos", file=videos_file(world, *rows))
        job.refresh_from_db()
        assert job.error.startswith(f"the file was rejected with {bad} {'error' if bad == 1 else 'errors'};")
    path = tmp_path / "one_bad.csv"
    path.write_text(f"{VIDEOS_HEADER}\nbad,no_such_creator,2026-01-05T10:00:00Z,5,1,1,1\n")
    err = __import__("io").StringIO()
    with pytest.raises(SystemExit):
        call_command("import_data", "videos", str(path), stderr=err)
    assert "rejected, 1 error;" in err.getvalue()
