"""An SVG line chart of overdue and NPL ratios per county over time, with the 3.1 tolerance line
(issue 18: readable on screen and on paper): a Chinese title, labelled axes with round bounds
and gridlines, a legend naming each county (GB/T 2260, from python-stdnum) and what each line
style means; black-on-white, no web font. Small, dependency-free, valid XML."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from app.core import clock
from app.core.identity import region_name

# Colour-blind-safe (Okabe–Ito), and told apart in grey by the legend's order and the labels.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"]
WIDTH, HEIGHT = 960, 480
LEFT, RIGHT, TOP, BOTTOM = 70, 250, 56, 64  # the plot's margins; the legend sits on the right
FONT = (
    "font-family=\"'Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei','SimHei',sans-serif\""
)
_STEPS = [Decimal(s) for s in ("0.005", "0.01", "0.02", "0.025", "0.05", "0.1", "0.2", "0.25")]


def y_axis(highest: Decimal) -> tuple[Decimal, Decimal]:
    """(top, step): a round top at or above `highest` (at least 5%), in 4 to 8 steps."""
    highest = max(highest, Decimal("0.05"))
    for step in _STEPS:
        ticks = math.ceil(highest / step)
        if ticks <= 8:
            return step * max(ticks, 4), step
    return Decimal(1), Decimal("0.25")


def x_ticks(first: date, last: date, most: int = 7) -> list[date]:
    """Evenly spread dates from `first` to `last` (both included), at most `most`."""
    span = (last - first).days
    if span <= 0:
        return [first]
    count = min(most - 1, span)
    return sorted({first + timedelta(days=round(span * i / count)) for i in range(count + 1)})


def label_of(code: str) -> str:
    name = region_name(code)
    return f"{name}（{code}）" if name else code


def render(
    series: dict[str, list[tuple[date, Decimal, Decimal]]],
    tolerance: Decimal | None,
    title: str,
    period: tuple[date, date] | None = None,
) -> str:
    """series: county code → [(day, overdue ratio, NPL ratio)]; the x axis spans `period`
    (default: the days there are figures for)."""
    days = sorted({d for points in series.values() for d, _, _ in points})
    highest = max(
        [
            Decimal(0),
            *(max(o, n) for pts in series.values() for _, o, n in pts),
            *([tolerance] if tolerance is not None else []),
        ]
    )
    top, step = y_axis(highest)
    if period is not None:
        first, last = period
    else:
        first, last = (days[0], days[-1]) if days else (clock.today(), clock.today())
    span = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(value: Decimal) -> float:
        return TOP + plot_h - float(plot_h * value / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text class="title" x="{WIDTH / 2}" y="28" font-size="18" font-weight="bold"'
        f' text-anchor="middle">{escape(title)}</text>',
    ]
    parts += _grid(x, y, top, step, first, last)
    if tolerance is not None:
        parts.append(
            f'<g class="tolerance"><line x1="{LEFT}" y1="{y(tolerance):.1f}"'
            f' x2="{LEFT + plot_w}" y2="{y(tolerance):.1f}" stroke="#c00" stroke-width="1.5"'
            f' stroke-dasharray="8 4"/></g>'
        )
    for index, (region, points) in enumerate(sorted(series.items())):
        colour = PALETTE[index % len(PALETTE)]
        overdue = " ".join(f"{x(d):.1f},{y(o):.1f}" for d, o, _ in points)
        npl = " ".join(f"{x(d):.1f},{y(n):.1f}" for d, _, n in points)
        parts.append(
            f'<g class="series" data-region="{escape(region)}">'
            f'<polyline class="overdue" fill="none" stroke="{colour}" stroke-width="2"'
            f' points="{overdue}"/>'
            f'<polyline class="npl" fill="none" stroke="{colour}" stroke-width="2"'
            f' stroke-dasharray="3 3" points="{npl}"/></g>'
        )
    parts += _legend(sorted(series), tolerance)
    parts.append("</svg>")
    return "".join(parts)


def _grid(
    x: Callable[[date], float],
    y: Callable[[Decimal], float],
    top: Decimal,
    step: Decimal,
    first: date,
    last: date,
) -> list[str]:
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    parts = ['<g class="grid" stroke="#ccc" stroke-width="1">']
    value = Decimal(0)
    ticks = []
    while value <= top:
        parts.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{right}" y2="{y(value):.1f}"/>')
        ticks.append(
            f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" font-size="12" text-anchor="end">'
            f"{value:.1%}</text>"
        )
        value += step
    for day in x_ticks(first, last):
        parts.append(f'<line x1="{x(day):.1f}" y1="{TOP}" x2="{x(day):.1f}" y2="{bottom}"/>')
        ticks.append(
            f'<text x="{x(day):.1f}" y="{bottom + 18}" font-size="12" text-anchor="middle">'
            f"{day:%m-%d}</text>"
        )
    parts.append("</g>")
    parts.append(
        f'<g class="axes" stroke="#000" stroke-width="1.5">'
        f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/></g>'
    )
    parts += ticks
    parts.append(
        f'<text class="x-label" x="{(LEFT + right) / 2}" y="{HEIGHT - 18}" font-size="13"'
        f' text-anchor="middle">营业日（{first} 至 {last}）</text>'
    )
    parts.append(
        f'<text class="y-label" x="18" y="{(TOP + bottom) / 2}" font-size="13"'
        f' text-anchor="middle" transform="rotate(-90 18 {(TOP + bottom) / 2})">'
        "占贷款余额比例</text>"
    )
    return parts


def _legend(regions: list[str], tolerance: Decimal | None) -> list[str]:
    left = WIDTH - RIGHT + 20
    parts = [
        f'<g class="legend" font-size="12">'
        f'<text x="{left}" y="{TOP}" font-weight="bold">图例</text>'
    ]
    row = TOP + 22
    for dash, text in (("", "实线：逾期率"), ("3 3", "虚线：不良率")):
        parts.append(
            f'<line x1="{left}" y1="{row - 4}" x2="{left + 28}" y2="{row - 4}" stroke="#000"'
            f' stroke-width="2"{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>'
            f'<text x="{left + 36}" y="{row}">{text}</text>'
        )
        row += 20
    if tolerance is not None:
        parts.append(
            f'<line x1="{left}" y1="{row - 4}" x2="{left + 28}" y2="{row - 4}" stroke="#c00"'
            f' stroke-width="1.5" stroke-dasharray="8 4"/>'
            f'<text x="{left + 36}" y="{row}" fill="#c00">不良容忍度 {tolerance:.2%}（3.1）</text>'
        )
        row += 20
    row += 8
    for index, region in enumerate(regions):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{left}" y="{row - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text class="county" x="{left + 20}" y="{row}">{escape(label_of(region))}</text>'
        )
        row += 20
    parts.append("</g>")
    return parts
