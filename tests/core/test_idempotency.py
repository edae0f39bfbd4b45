"""An Idempotency-Key makes a request's effect happen once, whatever the client repeats."""

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from core.models import IdempotencyRecord, IdempotencyState
from core.tasks import purge_expired_idempotency_keys
from tests.core import idempotent_views

pytestmark = pytest.mark.urls("tests.core.idempotent_views")


def post(client: APIClient, body: dict[str, object], key: str | None = "key-1"):  # type: ignore[no-untyped-def]
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/users/", body, format="json", **headers)


@pytest.mark.django_db
def test_a_repeat_replays_the_first_response_without_a_second_effect() -> None:
    client = APIClient()
    first = post(client, {"email": "a@example.com"})
    again = post(client, {"email": "a@example.com"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_refused_with_422() -> None:
    client = APIClient()
    post(client, {"email": "a@example.com"})
    response = post(client, {"email": "b@example.com"})
    assert response.status_code == 422
    assert response.json() == {
        "code": "idempotency_key_reused",
        "fields": {},
        "message": "The Idempotency-Key was already used for a different request; use a new key.",
    }
    assert list(User.objects.values_list("email", flat=True)) == ["a@example.com"]


@pytest.mark.django_db
def test_json_key_order_does_not_make_a_different_request() -> None:
    client = APIClient()
    first = client.post(
        "/users/",
        data='{"email": "a@example.com", "slow": 0}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    again = client.post(
        "/users/", data='{"slow":0,"email":"a@example.com"}', content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert again.status_code == 201 and again.json() == first.json()


@pytest.mark.django_db
def test_keys_belong_to_an_endpoint_and_client_and_are_required_where_asked() -> None:
    client = APIClient()
    assert post(client, {"email": "a@example.com"}, key=None).json()["code"] == "idempotency_key_required"
    assert post(client, {"email": "a@example.com"}, key="x" * 300).json()["code"] == "idempotency_key_invalid"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_failed_request_leaves_the_key_free_to_retry() -> None:
    client = APIClient(raise_request_exception=False)
    failed = post(client, {"email": "a@example.com", "fail": True})
    assert failed.status_code == 500
    assert not IdempotencyRecord.objects.exists() and not User.objects.exists()
    retried = post(client, {"email": "a@example.com"})  # nothing happened, so the key is free again
    assert retried.status_code == 201
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_a_request_whose_process_died_can_be_taken_over_after_the_lock() -> None:
    client = APIClient()
    post(client, {"email": "a@example.com"}, key="dead")
    record = IdempotencyRecord.objects.get()
    User.objects.all().delete()  # as if that request had rolled back when its process died
    record.state, record.response_status, record.response_body = IdempotencyState.IN_PROGRESS, None, None
    record.locked_until = timezone.now() + timedelta(seconds=30)
    record.save()
    assert post(client, {"email": "a@example.com"}, key="dead").status_code == 409
    IdempotencyRecord.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert post(client, {"email": "a@example.com"}, key="dead").status_code == 201
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_expired_keys_are_purged_and_can_be_used_again() -> None:
    client = APIClient()
    post(client, {"email": "a@example.com"}, key="old")
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_expired_idempotency_keys() == 1
    assert post(client, {"email": "b@example.com"}, key="old").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_ten_parallel_requests_with_one_key_have_one_effect(live_server) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"email": "par@example.com", "hold": True}).encode()
    results: list[tuple[int, dict[str, object]]] = []
    start = threading.Barrier(10)
    answered = threading.Semaphore(0)

    def client() -> None:
        request = urllib.request.Request(
            f"{live_server.url}/users/",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": "parallel-1"},
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                results.append((response.status, json.loads(response.read())))
        except urllib.error.HTTPError as refused:
            results.append((refused.code, json.loads(refused.read())))
        answered.release()

    threads = [threading.Thread(target=client) for _ in range(10)]
    idempotent_views.RELEASE_HELD.clear()
    for thread in threads:
        thread.start()
    # The one request that took the key holds it until the nine others have their answers.
    for _ in range(9):
        assert answered.acquire(timeout=30)
    idempotent_views.RELEASE_HELD.set()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1
    assert statuses.count(409) == 9
    assert all(b["code"] == "idempotency_request_in_progress" for s, b in results if s == 409)
    assert User.objects.filter(email="par@example.com").count() == 1
    # Once the first finished, a repeat gets its response.
    request = urllib.request.Request(
        f"{live_server.url}/users/",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": "parallel-1"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201 and response.headers["Idempotent-Replayed"] == "true"
