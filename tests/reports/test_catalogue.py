"""Every report answers on an empty shop, and the reports read from the replica when there is one."""

import pytest
from django.conf import settings as django_settings

from reports import exports
from reports.catalogue import REPORTS
from reports.db import reports_database
from tests.reports.test_sales_and_customers import run


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_report_answers_an_empty_period(name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run(name, start="2026-03-02", end="2026-03-08")
    assert isinstance(result.summary, dict) and "kind" in result.chart
    exports.write_xlsx(result, tmp_path / "empty.xlsx", title=name)  # the files can be written too
    if name == "sales":
        assert len(result.frame) == 7 and result.frame["net"].sum() == 0


def test_the_replica_alias_when_configured_else_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    assert reports_database() == "default"
    monkeypatch.setitem(django_settings.DATABASES, "replica", django_settings.DATABASES["default"])
    assert reports_database() == "replica"
