"""What every report returns: apart from the report modules, so that naming it does not import
pandas (see the catalogue's docstring)."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class ReportResult:
    frame: "pd.DataFrame"
    summary: dict[str, Any]
    # What the admin page draws, built from the frame's own columns (so the chart is the table):
    # {"kind": "line"|"bar"|"heatmap", "labels": [...], "datasets": [{"label", "data"}], ...}.
    chart: dict[str, Any] = field(default_factory=dict)
