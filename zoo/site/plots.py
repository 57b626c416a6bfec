"""Scatter plots as plain SVG geometry: scales, ticks and points in pixels, drawn by a template.

Small on purpose — two plots on one page do not earn a plotting library. :func:`scatter` maps data
to a ``width × height`` canvas (linear or log₁₀ axes, "nice" ticks, margins for the labels) and
returns a :class:`Plot` that ``templates/_plot.html`` turns into an ``<svg>`` with a tooltip and an
optional link per point.

>>> plot = scatter([PointSpec(1e6, 98.0, "l1", "pruning"), PointSpec(4e6, 99.0, "base", "base")],
...                x_label="FLOPs", y_label="accuracy (%)", x_log=True)
>>> [t.text for t in plot.x_ticks]
['1M', '2M']
>>> plot.points[0].x < plot.points[1].x and plot.points[0].y > plot.points[1].y  # SVG y grows down
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Plot", "PointSpec", "scatter", "si"]

PALETTE = ("#3f51b5", "#e65100", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#5d4037",
           "#546e7a")
# Series with a fixed colour, so that one series looks the same in every plot of a page.
COLORS = {"baseline": "#757575", "pruning": PALETTE[0], "quantization": PALETTE[1],
          "low-rank": PALETTE[2], "architecture": PALETTE[3], "distillation": PALETTE[5],
          "reference": PALETTE[4], "peer": "#8d6e63",
          "sweep: every-layer": "#f9a825", "sweep: block-internal": "#212121"}


def si(value: float) -> str:
    """``2500000`` → ``2.5M``; ``0.5`` → ``0.5``."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


@dataclass(frozen=True)
class PointSpec:
    """One data point: coordinates, a short label, its series, a tooltip and a link."""

    x: float
    y: float
    label: str
    series: str
    title: str = ""
    href: str | None = None


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # empty when it would overlap an earlier label
    title: str
    href: str | None
    color: str
    anchor: str = "start"  # text-anchor of the label: "end" near the right edge


@dataclass(frozen=True)
class Tick:
    at: float  # pixel position along its axis
    text: str


@dataclass(frozen=True)
class Line:
    """A reference line through the canvas (pixel coordinates), e.g. ``y = x``."""

    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    dashed: bool = False


@dataclass(frozen=True)
class Plot:
    title: str
    x_label: str
    y_label: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: tuple[Point, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...] = ()
    legend: tuple[tuple[str, str], ...] = field(default=())  # (series' name, colour)


class _Scale:
    def __init__(self, low: float, high: float, start: float, end: float, log: bool) -> None:
        if log:
            low, high = math.log10(low), math.log10(high)
        if high - low < 1e-12:
            low, high = low - 0.5, high + 0.5
        self.low, self.high, self.start, self.end, self.log = low, high, start, end, log

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return round(self.start + (v - self.low) / (self.high - self.low)
                     * (self.end - self.start), 1)

    def ticks(self, fmt: str) -> list[Tick]:
        if self.log:
            values = []
            for exponent in range(math.floor(self.low), math.ceil(self.high) + 1):
                for mantissa in (1, 2, 5):
                    values.append(mantissa * 10.0 ** exponent)
            wide = self.high - self.low > 2.5  # many decades: powers of ten only
            values = [v for v in values if self.low - 1e-9 <= math.log10(v) <= self.high + 1e-9
                      and (not wide or f"{v:g}".startswith("1"))]
        else:
            raw = (self.high - self.low) / 5
            magnitude = 10 ** math.floor(math.log10(raw))
            step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
            first = math.ceil(self.low / step) * step
            values = [first + i * step for i in range(int((self.high - first) / step + 1e-9) + 1)]
        text = si if fmt == "si" else (lambda v: f"{v:g}{fmt}")
        return [Tick(self(v), text(v)) for v in values]


def _padded(values: Sequence[float], log: bool, pad: float = 0.06) -> tuple[float, float]:
    low, high = min(values), max(values)
    if log:
        span = math.log10(high) - math.log10(low) or 1.0
        return low / 10 ** (pad * span), high * 10 ** (pad * span)
    span = high - low or abs(high) or 1.0
    return low - pad * span, high + pad * span


def scatter(specs: Sequence[PointSpec], *, x_label: str, y_label: str, title: str = "",
            x_log: bool = False, y_log: bool = False, x_fmt: str = "si", y_fmt: str = "",
            diagonals: Sequence[tuple[float, str, bool]] = (), width: int = 640,
            height: int = 400, names: Mapping[str, str] | None = None) -> Plot:
    """A scatter plot of ``specs``; ``diagonals`` adds lines ``y = k·x`` as ``(k, label,
    dashed)`` and makes both axes span the same range (for measured-vs-theoretical plots).
    The legend names each series by ``names`` (a translation, say), else by itself."""
    if not specs:
        raise ValueError("a plot needs at least one point")
    left, right, top, bottom = 64, 16, 16, 48
    xs, ys = [p.x for p in specs], [p.y for p in specs]
    if diagonals:
        xs = ys = xs + ys
    x_low, x_high = _padded(xs, x_log)
    y_low, y_high = _padded(ys, y_log)
    sx = _Scale(x_low, x_high, left, width - right, x_log)
    sy = _Scale(y_low, y_high, height - bottom, top, y_log)
    series = list(dict.fromkeys(p.series for p in specs))
    spare = iter(c for c in PALETTE if c not in COLORS.values())
    colors = {s: COLORS.get(s) or next(spare, PALETTE[-1]) for s in series}
    points: list[Point] = []
    placed: list[tuple[float, float, float]] = []  # labels so far: left, right, baseline
    for p in specs:
        x, y = sx(p.x), sy(p.y)
        span = 6 * len(p.label) + 6  # about 6 px per character at the label's font size
        near_edge = x + span > width - right
        lo, hi = (x - span, x) if near_edge else (x, x + span)
        # a crowded point keeps only its tooltip
        free = all(hi < a or lo > b or abs(y - base) > 12 for a, b, base in placed)
        if free:
            placed.append((lo, hi, y))
        points.append(Point(x, y, p.label if free else "", p.title or p.label, p.href,
                            colors[p.series], "end" if near_edge else "start"))
    lines = []
    for k, label, dashed in diagonals:
        lo, hi = max(x_low, y_low / k), min(x_high, y_high / k)
        if lo < hi:
            lines.append(Line(sx(lo), sy(k * lo), sx(hi), sy(k * hi), label, dashed))
    return Plot(title, x_label, y_label, width, height, left, right, top, bottom, tuple(points),
                tuple(sx.ticks(x_fmt)), tuple(sy.ticks(y_fmt if y_fmt != "si" else "si")),
                tuple(lines), tuple(((names or {}).get(s, s), c) for s, c in colors.items()))
