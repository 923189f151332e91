"""An SVG line chart of overdue and NPL ratios per region over time, with the 3.1 tolerance
line: small, dependency-free, valid XML, embeddable in a page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from app.core.clock import business_today

PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
WIDTH, HEIGHT, PAD = 760, 360, 50


def render(
    series: dict[str, list[tuple[date, Decimal, Decimal]]], tolerance: Decimal | None, title: str
) -> str:
    """series: region → [(day, overdue ratio, NPL ratio)]."""
    days = sorted({d for points in series.values() for d, _, _ in points})
    top = max(
        [
            Decimal("0.05"),
            *(max(o, n) for pts in series.values() for _, o, n in pts),
            *([tolerance] if tolerance is not None else []),
        ]
    ) * Decimal("1.1")
    first, last = (days[0], days[-1]) if days else (business_today(), business_today())
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return PAD + (WIDTH - 2 * PAD) * (day - first).days / span

    def y(value: Decimal) -> float:
        return HEIGHT - PAD - float((HEIGHT - 2 * PAD) * value / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}"'
        ' stroke="#333"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>',
        f'<text x="{PAD}" y="{HEIGHT - PAD + 18}" font-size="11">{first}</text>',
        f'<text x="{WIDTH - PAD - 60}" y="{HEIGHT - PAD + 18}" font-size="11">{last}</text>',
        f'<text x="8" y="{PAD}" font-size="11">{float(top):.1%}</text>',
    ]
    if tolerance is not None:
        parts.append(
            f'<g class="tolerance"><line x1="{PAD}" y1="{y(tolerance):.1f}"'
            f' x2="{WIDTH - PAD}" y2="{y(tolerance):.1f}" stroke="#c00"'
            ' stroke-dasharray="6 3"/><text x="{0}" y="{1:.1f}" font-size="11"'
            ' fill="#c00">NPL tolerance (3.1)</text></g>'.format(
                WIDTH - PAD - 120, y(tolerance) - 4
            )
        )
    for index, (region, points) in enumerate(sorted(series.items())):
        colour = PALETTE[index % len(PALETTE)]
        overdue = " ".join(f"{x(d):.1f},{y(o):.1f}" for d, o, _ in points)
        npl = " ".join(f"{x(d):.1f},{y(n):.1f}" for d, _, n in points)
        parts.append(
            f'<g class="series" data-region="{escape(region)}">'
            f'<polyline class="overdue" fill="none" stroke="{colour}" points="{overdue}"/>'
            f'<polyline class="npl" fill="none" stroke="{colour}" stroke-dasharray="2 2"'
            f' points="{npl}"/>'
            f'<text x="{WIDTH - PAD + 4}" y="{PAD + 14 * index}" font-size="11"'
            f' fill="{colour}">{escape(region)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
