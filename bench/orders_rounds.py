"""The rounds of bench/orders_placement.py and their report: what a client run measured (rates,
latencies, CPU per operation), each run's rounds summed up, and each ratio computed round by
round (runs seconds apart, so that drift and the machine's other load weigh alike on both sides)
and printed as the median of the rounds with the lowest and highest."""

import os
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Outcome:
    latencies: list[float]
    errors: Counter[str]
    started: float
    finished: float
    cpu: float  # the client process's CPU seconds between the barrier and the end
    backend_cpu: float  # its PostgreSQL backend's (nan when /proc does not show it)


def backend_cpu_seconds(backend_pid: int) -> float:
    """User + system CPU of a PostgreSQL backend on this machine (its /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Figures:
    done: int
    rate: float
    p50: float
    p99: float
    errors: Counter[str]
    seconds: float
    latencies: list[float]  # ms
    cpu: float  # client CPU seconds, all clients
    backend_cpu: float  # their backends' CPU seconds


def percentiles(latencies: list[float]) -> list[float]:
    return statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99


PLACE, PATH = "place_order", "start_checkout + place_order"
BASELINE, NOTIFY = "baseline SQL order tx", "baseline SQL order tx + NOTIFY"
RUNS = [PLACE, PATH, BASELINE, NOTIFY]


def report_runs(runs: dict[str, list[Figures]], out: Callable[[str], None]) -> None:
    """Per run: done and errors over all rounds, the rounds' median rate with their lowest and
    highest, p50/p99 over every latency, CPU per operation (the clients', their backends')."""
    out(
        f"{'':32}{'done':>6}{'per s (median, rounds)':>27}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'CPU ms/op: client':>19}{'backend':>8}"
    )
    for name, rounds in runs.items():
        rates = sorted(figures.rate for figures in rounds)
        done = sum(figures.done for figures in rounds)
        cuts = percentiles([latency for figures in rounds for latency in figures.latencies])
        errors: Counter[str] = sum((figures.errors for figures in rounds), Counter())
        client = sum(figures.cpu for figures in rounds) / max(done, 1) * 1000
        backend = sum(figures.backend_cpu for figures in rounds) / max(done, 1) * 1000
        spread = f"{statistics.median(rates):.1f} ({rates[0]:.0f}-{rates[-1]:.0f})"
        out(
            f"{name:32}{done:6d}{spread:>27}{cuts[49]:8.2f}{cuts[98]:8.2f}{sum(errors.values()):7d}"
            f"{client:19.2f}{backend:8.2f}"
        )
        for error, count in errors.items():
            out(f"    {count} x {error}")
    for name, rounds in runs.items():
        out(
            f"  {name}, round by round, per s (client + backend CPU ms/op): "
            + ", ".join(f"{figures.rate:.1f} ({cpu_per_operation([figures]) * 1000:.1f})" for figures in rounds)
        )


def report_ratio(name: str, service: list[Figures], baseline: list[Figures], out: Callable[[str], None]) -> None:
    """The ratio round by round (runs seconds apart): their median, lowest and highest."""
    ratios = sorted(s.rate / b.rate for s, b in zip(service, baseline, strict=True))
    median = statistics.median(ratios)
    inverse = 1 / median if median else float("inf")
    out(
        f"ratio {name}: {median:.3f} (1 : {inverse:.1f}; median of {len(ratios)} rounds, "
        f"{ratios[0]:.3f} to {ratios[-1]:.3f}); by CPU per operation (client + backend, "
        f"the baseline's over the service's): {cpu_per_operation(baseline) / cpu_per_operation(service):.3f}"
    )


def cpu_per_operation(rounds: list[Figures]) -> float:
    """Client and backend CPU seconds per operation over all rounds: on a machine whose CPUs the
    clients and PostgreSQL saturate, the rates' ratio follows the ratio of these, whatever else
    runs there (Redis' own CPU for the publish is not counted)."""
    done = sum(figures.done for figures in rounds)
    return sum(figures.cpu + figures.backend_cpu for figures in rounds) / done if done else float("nan")
