"""The terminal summary: per-DMC counts, each criterion with its one-line reason, and the verdict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytest_svtad.rules.verdict import MANUAL, MET, Verdict

STATUS_LABEL = {MET: "met", "not_met": "NOT MET", MANUAL: "manual"}


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def dmct_lines(verdict: Verdict) -> list[str]:
    """One line per DMC for the DMCT stages: completed or not (20.14, 20.28) and the EPCL recommendation (20.26)
    or why not (20.30), then the completion rule's source."""
    if not verdict.dmct:
        return []
    lines = [f"DMCT {dmc}: {'completed' if a.completed else 'NOT completed'}; {a.recommendation}"
             for dmc, a in sorted(verdict.dmct.items())]
    return [*lines, f"DMCT completion rule: {next(iter(verdict.dmct.values())).rule_source}"]


def entry_lines(verdict: Verdict) -> list[str]:
    """The Entry Criteria (12.5) when not all are met: first in the summary, one line per criterion not met."""
    entry = verdict.entry
    if entry is None or entry.status == MET:
        return []
    head = ("ENTRY CRITERIA NOT MET" if entry.status == "not_met" else "ENTRY CRITERIA NOT ALL RECORDED") + \
        f" for {entry.phase} (12.5)"
    return [head, *(f"  {item.line()}" for item in entry.items if item.status != MET)]


def render(verdict: Verdict, write_line: Callable[..., None], report_dir: str | None) -> None:
    for number, line in enumerate(entry_lines(verdict)):
        write_line(line, bold=number == 0, red=verdict.entry is not None and verdict.entry.status == "not_met",
                   yellow=verdict.entry is not None and verdict.entry.status == MANUAL)
    dmcs = verdict.counts.functional_by_dmc
    width = max([len("DMC")] + [len(d) for d in dmcs])
    header = f"{'DMC':<{width}}  planned  executed  passed  failed  not run  de-scoped  pass rate"
    write_line(header)
    for dmc, c in dmcs.items():
        write_line(f"{dmc:<{width}}  {c.planned:>7}  {c.executed:>8}  {c.passed:>6}  {c.failed:>6}  "
                   f"{c.not_run:>7}  {c.descoped:>9}  {_pct(c.pass_rate):>9}")
    r = verdict.counts.regression
    write_line(f"regression set: planned {r.planned}, executed {r.executed}, passed {r.passed}, failed {r.failed}"
               f" (known defects {r.known_defects}), not run {r.not_run}, de-scoped {r.descoped}")
    extant = ", ".join(f"S{s}:{n}" for s, n in verdict.extant.items())
    line = f"Testing Issues: {len(verdict.issues)}; counted against the thresholds by severity {extant}"
    if len(verdict.by_provider) > 1:
        per = [f"{name} " + (", ".join(f"S{s}:{n}" for s, n in counts.items() if n) or "none")
               for name, counts in verdict.by_provider.items()]
        line += "; per DCC Service Provider " + "; ".join(per)
    uncounted = [i for i in verdict.issues if i.is_open and not i.counts_against(verdict.stage)]
    if uncounted:
        line += f"; {len(uncounted)} open but not counted (device-caused, TAG-excluded or not agreed)"
    write_line(line)
    write_line("")
    for criterion in verdict.criteria:
        label = STATUS_LABEL[criterion.status]
        markup = {"green": True} if criterion.status == MET else {"red": True} if criterion.status != MANUAL else {
            "yellow": True}
        write_line(f"[{label:^7}] {criterion.id:<21} {criterion.detail}  ({criterion.clause})", **markup)
    for note in verdict.notes:  # a warning (a DMCT run's pack not the scheduled one, ...) stands out
        write_line(f"note: {note}", **({"yellow": True, "bold": True} if note.startswith("WARNING") else {}))
    failed = [c for c in verdict.criteria if c.status == "not_met"]
    if verdict.met:
        text = "EXIT CRITERIA MET"
    else:
        text = f"EXIT CRITERIA NOT MET ({len(failed)} of {len(verdict.criteria)} criteria not met)"
    if verdict.pending:
        text += f"; pending human approval: {', '.join(verdict.pending)}"
    write_line(f"SVTAD verdict for {verdict.stage}{' ' + verdict.release if verdict.release else ''}: {text}",
               bold=True, green=verdict.met, red=not verdict.met)
    for line in dmct_lines(verdict):
        write_line(line, red=line.startswith("DMCT ") and "NOT" in line)
    if report_dir:
        folder = Path(report_dir)
        try:
            written = sorted(path.name for path in folder.iterdir() if path.is_file() and path.name[0] != ".")
        except OSError:
            written = []
        write_line(f"reports: {report_dir}/" + ", ".join(written))
