"""The notices the DMCT Process sends, as plain text files.

- 20.11: to each Supplier Party that included a DMC in its submission, the DMCs it submitted that are excluded from
  the DMCT Schedule, with the reason of 20.6(a)-(e) that applies and, for (c), (d) and (e), the rationale
  (20.11(b)); (d) names the equivalent DMC or EPCL entry. The seed's 20.11(a) lists (a) to (e) only: a DMC
  excluded for (f) (not economic to test, the Secretary of State agreeing, 20.7), for unsourced data (20.5) or for a
  configuration change (20.23(b)-(c)) is listed in a section of its own with its clause, since those clauses also
  call for the Supplier Party to be told (20.5) or to evidence the change (20.23).
- 20.30: to each Supplier Party that submitted a DMC that failed testing, the reasons for the failure (the
  ``why`` of its "failed" transition). 20.30 names the suppliers of the last submission before testing commenced
  and of any after; every supplier that submitted the DMC is told (a superset).
- 20.18: when a DMC in test no longer has enough devices, to all Supplier Parties, the Panel, the Authority and the
  Secretary of State.

20.11 notices are due "prior to the next submission" (20.2): the notice says by when, when the effective date of
Clause 20 is known.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container, Iterable, Sequence
from datetime import date

from pytest_svtad.rules import dmct_process as rules
from pytest_svtad.rules.dmct_process import Status
from pytest_svtad.store.dmct import DmcRecord

DEVICES_UNAVAILABLE_RECIPIENTS = ("all Supplier Parties", "the SEC Panel", "the Authority", "the Secretary of State")


def notice_file_name(supplier: str, taken: Container[str] = ()) -> str:
    """A file name for a supplier's notice that cannot leave the folder; two suppliers whose names reduce to the
    same name (``Acme Energy``, ``ACME-energy``) get it told apart by a digest of the full name."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", supplier).strip("-").lower()[:80] or "supplier"
    name = f"dmct-notice-{slug}.txt"
    if name in taken:
        name = f"dmct-notice-{slug}-{hashlib.sha256(supplier.encode()).hexdigest()[:8]}.txt"
    return name


def _excluded(record: DmcRecord) -> bool:
    return record.status in (Status.EXCLUDED, Status.REFERRED) and record.reason in rules.REASONS


def _item(record: DmcRecord) -> list[str]:
    reason = rules.REASONS[record.reason or ""]
    lines = [f"- {record.dmc}: {reason.clause}: {reason.text} (since {record.since.isoformat()})"]
    if record.equivalent:
        lines.append(f"    equivalent to: {record.equivalent}")
    if record.rationale:
        lines.append(f"    rationale: {record.rationale}")
    if record.sos_decision:
        lines.append(f"    Secretary of State's decision: {record.sos_decision}")
    if record.status is Status.REFERRED:
        lines.append("    your disagreement has been referred to the Secretary of State (20.12(b))")
    return lines


def supplier_notices(records: Sequence[DmcRecord], *, as_of: date | None,
                     next_submission: date | None) -> dict[str, str]:
    """Per Supplier Party, the text of its notice (20.11 exclusions, 20.30 failures); suppliers with neither get
    none."""
    by_supplier: dict[str, list[DmcRecord]] = {}
    for record in records:
        if _excluded(record) or record.status is Status.FAILED:
            for supplier in record.suppliers:
                by_supplier.setdefault(supplier, []).append(record)
    notices = {}
    for supplier, excluded in sorted(by_supplier.items()):
        failed = [r for r in excluded if r.status is Status.FAILED]
        excluded = [r for r in excluded if r.status is not Status.FAILED]
        listed = [r for r in excluded if rules.REASONS[r.reason or ""].in_notice]
        others = [r for r in excluded if not rules.REASONS[r.reason or ""].in_notice]
        lines = [f"DMCT Process: exclusion notice to {supplier}",
                 f"As of {as_of.isoformat() if as_of else 'today'}. SVTAD Clause 20.11.",
                 ("To be provided and published before the next submission window opens on "
                  f"{next_submission.isoformat()} (20.11, 20.2)." if next_submission else
                  "To be provided and published before the next submission (20.11); the submission windows are not "
                  "known until the date Clause 20 took effect is recorded (svtad dmct import --effective)."), ""]
        if listed:
            lines.append("DMCs you submitted that are excluded from the DMCT Schedule (20.11(a)-(b)):")
            for record in listed:
                lines.extend(_item(record))
            lines.append("")
        if others:
            lines.append("DMCs you submitted that are excluded from the DMCT Process on other grounds:")
            for record in others:
                lines.extend(_item(record))
            lines.append("")
        if failed:
            lines.append("DMCs you submitted that failed testing: no EPCL entry is proposed; the reasons (20.30):")
            lines.extend(f"- {r.dmc} (since {r.since.isoformat()}): {r.why}" for r in failed)
            lines.append("")
        lines.append("A DMC excluded under 20.5 or 20.23(b)-(c) may be included in a later submission (20.2/20.3); "
                     "you may disagree with an exclusion under 20.6(c) or 20.6(d) (20.12).")
        notices[supplier] = "\n".join(lines) + "\n"
    return notices


def devices_unavailable_notice(records: Iterable[DmcRecord], *, as_of: date | None) -> str | None:
    """The 20.18 notice: DMCs whose testing commenced but for which the DCC no longer has enough devices."""
    gone = [r for r in records if r.status is Status.DEVICES_UNAVAILABLE]
    if not gone:
        return None
    lines = ["DMCT Process: devices no longer available (SVTAD Clause 20.18)",
             f"As of {as_of.isoformat() if as_of else 'today'}. To: {', '.join(DEVICES_UNAVAILABLE_RECIPIENTS)}.", "",
             "Testing of these DMCs had commenced; the DCC no longer has sufficient devices to complete it and is "
             "relieved of completing it. They may be included in a later Supplier Party submission (20.2).", ""]
    lines.extend(f"- {r.dmc} (since {r.since.isoformat()}): {r.why}" for r in gone)
    return "\n".join(lines) + "\n"
