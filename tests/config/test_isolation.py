"""Tests never see each other's rows, in whichever schema those rows live.

The three tests run in file order: the first two write rows into the `users` schema (one inside a
rolled-back transaction, one committing and relying on the flush), the last asserts none survived.
"""

import pytest

from accounts.models import User


@pytest.mark.django_db
def test_rows_written_inside_a_rolled_back_test() -> None:
    assert User.objects.count() == 0
    User.objects.create_user("rolled-back@example.com", "pw-long-enough-123")
    assert User.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_rows_committed_by_a_transactional_test() -> None:
    assert User.objects.count() == 0
    User.objects.create_user("committed@example.com", "pw-long-enough-123")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_no_rows_leak_from_earlier_tests() -> None:
    assert not User.objects.exists()
