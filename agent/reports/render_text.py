"""The report as compact plain text for a terminal."""

from __future__ import annotations

from agent.reports.charts import compact
from agent.reports.labels import language
from agent.reports.model import Report
from agent.reports.view import ChildView, ReportView, RowView, report_view

__all__ = ["render_text"]

COL = 7  # width of a day's column: "10:05▲"
NAME = 24  # widest first column
WIDE = 10  # the week's columns


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _rows(rows: tuple[RowView, ...], width: int) -> list[str]:
    out = []
    for r in rows:
        name = _fit("  " * r.level + r.title, width).ljust(width)
        cells = "".join((compact(c.seconds) + ("▲" if c.over else " ")).rjust(COL) for c in r.cells)
        week = compact(r.week).rjust(WIDE)
        out.append(f"  {name}{cells}{week} {compact(r.previous).rjust(WIDE)}")
        if any(c.allowed is not None for c in r.cells):
            lims = "".join(
                ("/" + compact(c.allowed) + " " if c.allowed is not None else "").rjust(COL)
                for c in r.cells
            )
            out.append(f"  {'':{width}}{lims}")
    return out


def _child(c: ChildView, v: ReportView) -> list[str]:
    t = v.text
    out = [c.name, "=" * len(c.name)]
    out += [
        f"  {label}: {value}" + (f" — {note}" if note else "") for label, value, note in c.cards
    ]
    out.append("")
    width = min(NAME, max(len(t["app_col"]), *(len(r.title) + 2 * r.level for r in c.rows)))
    head = "".join((abbr + " ").rjust(COL) for abbr, _wd, _d in v.headers)
    week, last = t["week"].rjust(WIDE), t["last_week"].rjust(WIDE)
    out.append(f"  {_fit(t['app_col'], width):{width}}{head}{week} {last}")
    out += _rows(c.rows, width)
    out += [f"  ▲ {t['over']}   / {t['allowed']}", ""]
    for d in c.days:
        if d.status in ("over", "paused"):
            extra = f": {', '.join(d.over)}" if d.over else ""
            out.append(f"  {d.weekday} {d.date} — {d.status_text}{extra}")
    if c.top_apps:
        apps = ", ".join(f"{title} {time} ({share})" for title, time, share in c.top_apps)
        out.append(f"  {t['top_apps']}: {apps}")
    out.append(f"  {t['compare']}:")
    out += [f"    {title}: {change}" for title, _now, _before, change in c.compare_rows]
    if c.events:
        out.append(f"  {t['events']}: " + " · ".join(f"{label} {n}" for label, _d, n in c.events))
        out += [f"    {when}  {what}" for when, what in c.timeline]
    else:
        out.append(f"  {t['no_events']}")
    return out


def render_text(report: Report, lang: str) -> str:
    """The report as text: per child a table of H:MM per day, then events and the computer."""
    with language(lang):
        v = report_view(report, lang)
        t = v.text
        lines = [f"PlayClock — {v.title} {report.label}", v.subtitle, v.generated, ""]
        for c in v.children:
            lines += [*_child(c, v), ""]
        lines += [t["computer"], "=" * len(t["computer"]), f"  {v.agent_runs}"]
        offline = [
            f"{abbr} {compact(report.computer.offline(d))}"
            for (abbr, _w, _d), d in zip(v.headers, report.days, strict=True)
        ]
        lines.append(f"  {t['not_counted']}: " + ", ".join(offline))
        lines += [f"    {a} → {b} ({n}): {cause}" for a, b, n, cause in v.gaps]
        if v.jumps:
            lines.append(f"  {t['jumps']}:")
            lines += [f"    {when}  {what}" for when, what in v.jumps]
        else:
            lines.append(f"  {t['no_jumps']}")
        lines += ["", t["helpline"]]
        return "\n".join(lines) + "\n"
