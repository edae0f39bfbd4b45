"""Daily demand forecasts per SKU and warehouse (docs/decisions/0020-forecasting.md).

- 28 days of history or more: Holt-Winters (statsmodels' ExponentialSmoothing) with an additive
  weekly season, and an additive damped trend from 56 days on; initial states from the first
  seasons (heuristic) and the smoothing parameters fitted without a brute-force grid: a few
  hundredths of a second per series instead of tenths, for nightly runs over every SKU;
- 7 to 27 days: seasonal naive (the same weekday a week earlier, repeated);
- fewer: the mean of what there is.
The interval is the forecast +- 1.96 times the standard deviation of the in-sample one-step errors,
clipped at zero. The backtest holds out the last `horizon` days (when the rest still has a week),
fits the same method on the rest and reports WAPE = sum |actual - forecast| / sum actual.
"""

import warnings
from dataclasses import dataclass

import numpy as np

SEASON = 7
Z_95 = 1.96


@dataclass
class Forecast:
    method: str
    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    wape: float | None


def _fit(history: np.ndarray, horizon: int) -> tuple[str, np.ndarray, float]:
    """Method, point forecast and the standard deviation of its one-step errors."""
    if len(history) >= 4 * SEASON and history.any():
        # Imported here, not at the top: statsmodels takes about 3 s to import, and the admin's
        # autodiscovery reaches this module in every process (web, gRPC, workers, relay), while
        # only the workers that forecast need it.
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on flat or sparse series
            model = ExponentialSmoothing(
                history,
                trend="add" if len(history) >= 8 * SEASON else None,
                damped_trend=len(history) >= 8 * SEASON,
                seasonal="add",
                seasonal_periods=SEASON,
                initialization_method="heuristic",
            ).fit(use_brute=False)
        values = np.asarray(model.forecast(horizon), dtype=float)
        sigma = float(np.std(history - np.asarray(model.fittedvalues, dtype=float)))
        return "holt_winters", values, sigma
    if len(history) >= SEASON:
        last_week = history[-SEASON:]
        values = np.resize(last_week, horizon).astype(float)
        errors = history[SEASON:] - history[:-SEASON]
        return "seasonal_naive", values, float(np.std(errors)) if len(errors) else 0.0
    mean = float(history.mean()) if len(history) else 0.0
    return "mean", np.full(horizon, mean), float(np.std(history)) if len(history) else 0.0


def wape(actual: np.ndarray, forecast: np.ndarray) -> float | None:
    total = float(np.abs(actual).sum())
    return float(np.abs(actual - forecast).sum()) / total if total else None


def forecast(history: np.ndarray, horizon: int) -> Forecast:
    history = np.asarray(history, dtype=float)
    method, values, sigma = _fit(history, horizon)
    values = np.clip(values, 0, None)
    error = None
    if len(history) >= horizon + SEASON:
        _, backtest, _ = _fit(history[:-horizon], horizon)
        error = wape(history[-horizon:], np.clip(backtest, 0, None))
    return Forecast(
        method=method,
        values=values,
        lower=np.clip(values - Z_95 * sigma, 0, None),
        upper=values + Z_95 * sigma,
        wape=error,
    )
