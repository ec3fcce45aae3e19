"""Migrating an installation into the DCC (DMCT): readiness checks, then firmware, credentials, commissioning
and enrolment, each taking simulated time and leaving its trace in the devices' logs.

The exclusions come from DCC documents: no master keys; no WAN; five or more failed attempts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_svtad.smets1.profiles import DeviceKind

if TYPE_CHECKING:
    from simulators.context import InstallationContext

MAX_FAILED_ATTEMPTS = 5
CREDENTIAL_ROLES = ("supplier", "network_operator", "access_control_broker")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in text.replace("-", ".").split("."))


def readiness(inst: InstallationContext) -> dict[str, Any]:
    """What stands between the installation and enrolment, as a migration readiness check reports it."""
    now = inst.now
    hub = inst.hub
    wan = hub is not None and hub.available(now) and inst.wan.up(now)
    firmware = {}
    for kind, required in inst.dmc.migration.firmware_targets.items():
        device = inst.devices.get(kind.value)
        if device is not None:
            firmware[kind.value] = {"current": device.firmware, "required": required,
                                    "ok": _version(device.firmware) >= _version(required)}
    han = {item.kind.value: hub is None or item is hub or item.device_id in hub.han_log
           for item in inst.devices.values()}
    reasons = []
    if inst.enrolled:
        reasons.append("already enrolled")
    if not inst.master_keys:
        reasons.append("the SMSO holds no master keys for the devices")
    if not wan:
        reasons.append("the comms hub has no WAN connection")
    if inst.failed_migrations >= MAX_FAILED_ATTEMPTS:
        reasons.append(f"{inst.failed_migrations} failed migration attempts (excluded at {MAX_FAILED_ATTEMPTS})")
    return {"eligible": not reasons, "reasons": reasons, "wan": wan, "master_keys": inst.master_keys,
            "failed_attempts": inst.failed_migrations, "firmware": firmware, "han": han,
            "gas_excluded": not han.get(DeviceKind.GSME.value, True)}


def migrate(inst: InstallationContext, cohort: str) -> dict[str, Any]:
    """Run a migration attempt now; returns the steps with their times and whether the installation is enrolled."""
    steps: list[dict[str, Any]] = []

    def step(name: str, result: str, **details: Any) -> None:
        steps.append({"step": name, "at": inst.now, "result": result, **details})
        inst.note(f"migration ({cohort}): {name}: {result}")

    check = readiness(inst)
    if not check["eligible"]:
        if not inst.enrolled:
            inst.failed_migrations += 1
        step("readiness", "failed", reasons=check["reasons"])
        return {"migrated": False, "cohort": cohort, "steps": steps, "reasons": check["reasons"]}
    step("readiness", "passed")
    for kind, state in check["firmware"].items():
        if not state["ok"]:
            device = inst.devices[kind]
            inst.distribute_firmware(device, state["required"], 196_608, corrupt_image=False)
            while device.pending_firmware != state["required"]:
                inst.advance(minutes=1)
            device.pending_firmware = None
            previous, device.firmware = device.firmware, state["required"]
            device.log_security(inst.now, "FWACT", f"firmware {previous} -> {device.firmware} activated (migration)")
            step("firmware", "upgraded", device=kind, version=device.firmware)
    for device in inst.devices.values():
        if device.kind in (DeviceKind.ESME, DeviceKind.GSME, DeviceKind.CH):
            for role in CREDENTIAL_ROLES:
                device.credentials[role] = f"DCC-{role.upper()}-{inst.seed % 10_000:04d}"
            device.log_security(inst.now, "CREDS", "credentials replaced with DCC credentials (migration)")
    inst.advance(minutes=5)
    step("credentials", "replaced")
    for device in inst.devices.values():
        inst.inventory.status[device.device_id] = "commissioned"
        device.log_event(inst.now, "COMM", "commissioned (migration)")
    inst.advance(minutes=2)
    step("commissioning", "done", devices=len(inst.devices))
    inst.enrolled = True
    step("enrolment", "done")
    return {"migrated": True, "cohort": cohort, "steps": steps, "reasons": []}
