"""The reports app's refusals, with stable codes (core.errors)."""

from core.errors import InvalidInput, NotFound


class InvalidReportParameters(InvalidInput):
    code = "invalid_report_parameters"
    default_message = "The report parameters are not valid."


class ReportNotFound(NotFound):
    code = "report_not_found"
    default_message = "There is no report of that name."


class ReportRunNotFound(NotFound):
    code = "report_run_not_found"
    default_message = "There is no such report run."
