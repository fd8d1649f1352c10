"""Staff imports: ``POST /api/v1/imports/`` and ``GET /api/v1/imports/<id>/``, and the admin's upload page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from config.celery import app as celery_app
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
