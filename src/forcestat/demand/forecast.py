"""Call-volume forecasts: daily volumes by regression, spread over the day by a profile.

Daily calls are a negative-binomial regression (statsmodels) on day of the week, a linear
trend and public holidays (the ``holidays`` package, by country and region), after Weinberg,
Brown & Stroud (2007): volumes multiply by a day-of-week effect and drift, and arrivals are
over-dispersed relative to Poisson. Each day is then spread over its intervals by the
weekday's intraday profile (the share of the day's calls in each interval, shrunk towards
the all-days profile where a weekday has few calls).

Prediction intervals come from simulation: regression coefficients drawn from their
estimated sampling distribution (parameter uncertainty), a day's count drawn from the
negative binomial around the drawn mean, and each interval's count drawn as Poisson from the
day's level times the interval's share. Staffing can then target an upper quantile of the
interval's calls instead of its mean.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .params import check_interval_minutes

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: A trend is fitted only from six weeks of history: over fewer, a week's noise would be
#: extrapolated as a drift.
MIN_TREND_DAYS = 42


@dataclass(frozen=True)
class Forecast:
    """Daily and interval forecasts with prediction intervals at ``level``."""

    channel: str | None
    level: float
    daily: pd.DataFrame
    intervals: pd.DataFrame
    coefficients: dict[str, float]
    alpha: float
    history_days: int
    interval_minutes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "level": self.level,
            "history_days": self.history_days,
            "dispersion_alpha": self.alpha,
            "coefficients": self.coefficients,
            "daily": self.daily.assign(date=self.daily["date"].astype(str)).to_dict(
                orient="records"
            ),
            "intervals": self.intervals.assign(
                interval_start=self.intervals["interval_start"].astype(str)
            ).to_dict(orient="records"),
        }


def _holiday_dates(days: pd.DatetimeIndex, country: str | None, subdiv: str | None) -> set[date]:
    if not country:
        return set()
    import holidays

    try:
        cal = holidays.country_holidays(
            country, subdiv=subdiv, years=sorted({d.year for d in days})
        )
    except NotImplementedError as e:
        raise ParameterError(f"no holiday calendar for {country!r}: {e}") from None
    return set(cal.keys())


def _design(
    days: pd.DatetimeIndex,
    origin: pd.Timestamp,
    hol: set[date],
    use_holiday: bool,
    use_trend: bool,
) -> np.ndarray:
    dow = days.day_of_week.to_numpy()
    cols = [np.ones(len(days))]
    cols += [(dow == k).astype(float) for k in range(1, 7)]
    if use_trend:
        cols.append(((days - origin).days.to_numpy() / 365.25).astype(float))
    if use_holiday:
        cols.append(np.array([d.date() in hol for d in days], dtype=float))
    return np.column_stack(cols)


def _names(use_holiday: bool, use_trend: bool) -> list[str]:
    return (
        ["intercept", *[f"dow_{d}" for d in DAYS[1:]]]
        + (["trend_per_year"] if use_trend else [])
        + (["holiday"] if use_holiday else [])
    )


def daily_counts(calls: pd.DataFrame, tz: str) -> pd.Series:
    """Calls per local day over whole days from the first to the last (0 where none)."""
    local = (
        pd.to_datetime(calls["arrived_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
    ).dt.tz_localize(None)
    counts = local.dt.normalize().value_counts().sort_index()
    full = pd.date_range(counts.index.min(), counts.index.max(), freq="D")
    return counts.reindex(full, fill_value=0)


def intraday_profile(
    calls: pd.DataFrame, interval_minutes: int, tz: str, prior_calls: float = 500.0
) -> np.ndarray:
    """Share of a weekday's calls in each interval, shape (7, intervals a day): each
    weekday's shares shrunk towards the all-days shares with ``prior_calls`` of weight."""
    local = (
        pd.to_datetime(calls["arrived_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
    ).dt.tz_localize(None)
    per_day = 1440 // interval_minutes
    slot = ((local.dt.hour * 60 + local.dt.minute) // interval_minutes).to_numpy()
    dow = local.dt.day_of_week.to_numpy()
    counts = np.zeros((7, per_day))
    np.add.at(counts, (dow, slot), 1.0)
    overall = counts.sum(axis=0) / max(counts.sum(), 1.0)
    out = (counts + prior_calls * overall) / (counts.sum(axis=1, keepdims=True) + prior_calls)
    return out


def forecast_calls(
    calls: pd.DataFrame,
    days: int,
    *,
    channel: str | None = None,
    tz: str = "Europe/London",
    interval_minutes: int = 60,
    level: float = 0.9,
    country: str | None = "GB",
    subdiv: str | None = "ENG",
    draws: int = 2000,
    seed: int = 0,
    history_end: date | None = None,
) -> Forecast:
    """Forecast the ``days`` days after the records end (or after ``history_end``).

    Parameters
    ----------
    calls
        A ``calls`` table (one channel, or ``channel`` to pick one).
    days
        Days ahead to forecast (1-366). Interval starts in the result are local times.
    tz
        The zone days and intervals are read in.
    interval_minutes
        15, 30 or 60: the intraday resolution.
    level
        Central prediction-interval coverage (0.9: the 5th to 95th percentile).
    country, subdiv
        The public-holiday calendar (``holidays`` codes: GB + ENG, IL, US...); None for
        no holiday effect. The effect is estimated only if the history holds a holiday.
    draws, seed
        Simulation draws for the intervals, and their seed.
    history_end
        The last local day of the history (days after the last call up to it count as
        days without calls; calls after it are left out). Default: the last call's day.

    Returns
    -------
    Forecast
    """
    import statsmodels.api as sm

    if not 1 <= days <= 366:
        raise ParameterError(f"days must be between 1 and 366 (got {days})")
    if not 0 < level < 1:
        raise ParameterError(f"level must be between 0 and 1 (got {level:g})")
    check_interval_minutes(interval_minutes)
    if channel is not None:
        calls = calls[calls["channel"] == channel]
    if calls.empty:
        raise ParameterError("no calls to forecast from")
    y = daily_counts(calls, tz)
    if history_end is not None:
        end = pd.Timestamp(history_end)
        y = y[y.index <= end].reindex(pd.date_range(y.index[0], end, freq="D"), fill_value=0)
        local = pd.to_datetime(calls["arrived_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
        calls = calls[(local.dt.tz_localize(None) < end + pd.Timedelta(days=1)).to_numpy()]
    if len(y) < 14:
        raise ParameterError(f"a forecast needs at least 14 days of calls (got {len(y)})")
    origin = y.index[0]
    future = pd.date_range(y.index[-1] + pd.Timedelta(days=1), periods=days, freq="D")
    hol = _holiday_dates(y.index.append(future), country, subdiv)
    use_holiday = any(d.date() in hol for d in y.index)
    use_trend = len(y) >= MIN_TREND_DAYS
    x = _design(y.index, origin, hol, use_holiday, use_trend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.NegativeBinomial(y.to_numpy(dtype=float), x).fit(disp=0, maxiter=200)
    params = np.asarray(model.params, dtype=float)
    beta, alpha = params[:-1], max(float(params[-1]), 1e-8)
    cov = np.asarray(model.cov_params(), dtype=float)[:-1, :-1]
    if not np.isfinite(cov).all():
        cov = np.zeros_like(cov)
    xf = _design(future, origin, hol, use_holiday, use_trend)
    rng = np.random.default_rng(seed)
    b = rng.multivariate_normal(beta, cov, size=draws, check_valid="ignore")
    mean_draws = np.exp(b @ xf.T)  # draws x days
    # negative binomial around each drawn mean: a gamma-mixed Poisson
    level_draws = rng.gamma(1 / alpha, alpha * mean_draws)
    day_counts = rng.poisson(level_draws)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    expected = np.exp(xf @ beta)
    daily = pd.DataFrame(
        {
            "date": future.date,
            "day": [DAYS[d] for d in future.day_of_week],
            "holiday": [d.date() in hol for d in future],
            "expected": expected,
            "low": np.quantile(day_counts, lo_q, axis=0),
            "high": np.quantile(day_counts, hi_q, axis=0),
        }
    )
    prof = intraday_profile(calls, interval_minutes, tz)
    per_day = prof.shape[1]
    shares = prof[future.day_of_week.to_numpy()]  # days x slots
    lam = level_draws[:, :, None] * shares[None, :, :]  # draws x days x slots
    counts = rng.poisson(lam).reshape(draws, -1)
    starts = np.repeat(future.to_numpy(), per_day) + np.tile(
        np.arange(per_day) * np.timedelta64(interval_minutes, "m"), days
    )
    per_hour = 60.0 / interval_minutes
    intervals = pd.DataFrame(
        {
            "interval_start": pd.to_datetime(starts),
            "day": np.repeat([DAYS[d] for d in future.day_of_week], per_day),
            "expected": (expected[:, None] * shares).ravel(),
            "low": np.quantile(counts, lo_q, axis=0),
            "high": np.quantile(counts, hi_q, axis=0),
        }
    )
    intervals["calls_per_hour"] = intervals["expected"] * per_hour
    intervals["high_per_hour"] = intervals["high"] * per_hour
    coefs = dict(zip(_names(use_holiday, use_trend), (float(v) for v in beta), strict=True))
    return Forecast(channel, level, daily, intervals, coefs, alpha, int(len(y)), interval_minutes)


def quantile_rates(fc: Forecast, quantile: float, draws_seed: int = 0) -> np.ndarray:
    """Calls per hour in each forecast interval at an upper quantile of its count (the
    Poisson quantile around the expected count, widened by the day's dispersion)."""
    from scipy import stats

    if not 0 < quantile < 1:
        raise ParameterError(f"quantile must be between 0 and 1 (got {quantile:g})")
    mu = fc.intervals["expected"].to_numpy()
    # negative binomial with the daily dispersion: var = mu + alpha mu^2
    a = fc.alpha
    n = 1 / a
    p = n / (n + np.maximum(mu, 1e-12))
    q = stats.nbinom.ppf(quantile, n, p)
    return np.where(mu > 0, q, 0.0) * 60.0 / fc.interval_minutes


def mean_absolute_pct_error(actual: np.ndarray, predicted: np.ndarray) -> float:
    ok = actual > 0
    return float(np.mean(np.abs(predicted[ok] - actual[ok]) / actual[ok])) if ok.any() else math.nan


# --------------------------------------------------------------------------- back-test
@dataclass(frozen=True)
class ForecastBacktest:
    """A forecast made at the end of one period, scored on the days of another.

    ``days`` has per test day the observed calls, the forecast (expected, low, high) and
    the naive forecast: the same weekday of the fit period's last week. ``scores`` has
    the daily mean absolute error (calls and percent) and interval coverage of both, and
    the per-interval mean absolute error (calls per interval) of both."""

    fit: str
    test: str
    level: float
    days: pd.DataFrame
    scores: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "fit": self.fit,
            "test": self.test,
            "level": self.level,
            **self.scores,
            "days": self.days.assign(date=self.days["date"].astype(str)).to_dict(orient="records"),
        }


def _local_days(text: str, tz: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last local day of a back-test period (days or a forcestat period)."""
    from .backtest import parse_span

    span = parse_span(text, tz)

    def local(t: pd.Timestamp) -> pd.Timestamp:
        return t.tz_localize("UTC").tz_convert(tz).tz_localize(None).normalize()

    return local(span.start), local(span.end) - pd.Timedelta(days=1)


def _local_counts(calls: pd.DataFrame, tz: str, minutes: int) -> pd.Series:
    local = (
        pd.to_datetime(calls["arrived_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
    ).dt.tz_localize(None)
    return local.dt.floor(f"{minutes}min").value_counts()


def backtest_forecast(
    calls: pd.DataFrame,
    fit: str,
    test: str,
    *,
    tz: str = "Europe/London",
    interval_minutes: int = 60,
    level: float = 0.9,
    country: str | None = "GB",
    subdiv: str | None = "ENG",
    seed: int = 0,
) -> ForecastBacktest:
    """Fit :func:`forecast_calls` on the calls of ``fit`` (the days up to its end) and
    score the forecast on the days of ``test``, which must come after it, beside the naive
    forecast a planner has without a model: each test day gets the count of the same
    weekday in the fit period's last week (and each interval that day's same interval).

    Periods are days (``1999-02-01..1999-02-21``) or forcestat periods, read in ``tz``.
    """
    f0, f1 = _local_days(fit, tz)
    t0, t1 = _local_days(test, tz)
    if t0 <= f1:
        raise ParameterError(f"the test period {test} must start after the fit period {fit}")
    local = (
        pd.to_datetime(calls["arrived_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
    ).dt.tz_localize(None)
    day = local.dt.normalize()
    fit_calls = calls[((day >= f0) & (day <= f1)).to_numpy()]
    test_calls = calls[((day >= t0) & (day <= t1)).to_numpy()]
    if test_calls.empty:
        raise ParameterError(f"no calls in the test period {test}")
    if (f1 - f0).days + 1 < 14 or fit_calls.empty:
        raise ParameterError(f"the fit period {fit} must hold at least 14 days of calls")
    ahead = (t1 - f1).days
    fc = forecast_calls(
        fit_calls, ahead, tz=tz, interval_minutes=interval_minutes, level=level,
        country=country, subdiv=subdiv, seed=seed, history_end=f1.date(),
    )  # fmt: skip
    test_days = pd.date_range(t0, t1, freq="D")
    observed = daily_counts(calls, tz).reindex(test_days, fill_value=0)
    fit_daily = daily_counts(fit_calls, tz).reindex(pd.date_range(f0, f1, freq="D"), fill_value=0)
    last_week = fit_daily.iloc[-7:]
    by_dow = dict(zip(last_week.index.day_of_week, last_week.to_numpy(), strict=True))
    fcd = fc.daily.assign(date=pd.to_datetime(fc.daily["date"])).set_index("date")
    fcd = fcd.reindex(test_days)
    days = pd.DataFrame(
        {
            "date": test_days.date,
            "day": [DAYS[d] for d in test_days.day_of_week],
            "observed": observed.to_numpy(),
            "forecast": fcd["expected"].to_numpy(),
            "low": fcd["low"].to_numpy(),
            "high": fcd["high"].to_numpy(),
            "naive": [by_dow[d] for d in test_days.day_of_week],
        }
    )
    obs, fcst, naive = (days[c].to_numpy(dtype=float) for c in ("observed", "forecast", "naive"))
    # intervals: the forecast's expected count against the naive same interval last week
    m = interval_minutes
    got = _local_counts(test_calls, tz, m)
    fit_iv = _local_counts(fit_calls, tz, m)
    iv = fc.intervals.assign(interval_start=pd.to_datetime(fc.intervals["interval_start"]))
    iv = iv[iv["interval_start"].dt.normalize().isin(test_days)]
    starts = pd.DatetimeIndex(iv["interval_start"])
    iv_obs = got.reindex(starts, fill_value=0).to_numpy(dtype=float)
    lag = ((starts.normalize() - f1).days.to_numpy() + 6) // 7 * 7  # back into the last week
    iv_naive = fit_iv.reindex(starts - pd.to_timedelta(lag, unit="D"), fill_value=0)
    iv_naive_v = iv_naive.to_numpy(dtype=float)
    iv_fc = iv["expected"].to_numpy(dtype=float)
    inside = (obs >= days["low"].to_numpy()) & (obs <= days["high"].to_numpy())
    scores: dict[str, Any] = {
        "test_days": len(days),
        "daily_mae": float(np.mean(np.abs(fcst - obs))),
        "daily_mape_pct": 100 * mean_absolute_pct_error(obs, fcst),
        "naive_daily_mae": float(np.mean(np.abs(naive - obs))),
        "naive_daily_mape_pct": 100 * mean_absolute_pct_error(obs, naive),
        "interval_coverage_pct": 100 * float(inside.mean()),
        "interval_mae": float(np.mean(np.abs(iv_fc - iv_obs))),
        "naive_interval_mae": float(np.mean(np.abs(iv_naive_v - iv_obs))),
        "interval_minutes": m,
        "history_days": fc.history_days,
    }
    return ForecastBacktest(fit, test, level, days, scores)
