"""A dormant installation through migration: readiness, firmware, credentials, commissioning, enrolment."""

import pytest


@pytest.mark.ttm("S1-MG-01")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("migration and enrolment")
def test_dormant_installation_gives_no_service(dormant):
    assert dormant.request("4.1.1").code == "E21"
    assert dormant.request("8.2").code == "E19"
    dormant.faults.tamper()
    dormant.advance(minutes=15)
    assert dormant.alerts() == []


@pytest.mark.ttm("S1-MG-02")
@pytest.mark.functional_group("migration and enrolment")
def test_readiness_check_reports_every_condition(dormant, dmc):
    readiness = dormant.migration_readiness()
    assert readiness["eligible"], readiness["reasons"]
    assert readiness["wan"] and readiness["master_keys"] and readiness["failed_attempts"] == 0
    assert set(readiness["han"]) == {kind.value for kind in dmc.devices}
    assert set(readiness["firmware"]) == {kind.value for kind in dmc.migration.firmware_targets}


@pytest.mark.ttm("S1-MG-03")
@pytest.mark.srv("11.2")
@pytest.mark.functional_group("migration and enrolment")
def test_migration_brings_firmware_to_the_dcc_target(dormant, dmc, svtad_profiles):
    outcome = dormant.migrate(cohort="DMCT")
    assert outcome["migrated"], outcome["reasons"]
    installed = svtad_profiles.firmware(dmc)
    for kind in dmc.devices:
        expected = dmc.migration.firmware_targets.get(kind, installed[kind.value])
        assert dormant.request("11.2", device=kind.value).expect()["firmware"] == expected
    upgraded = [step["device"] for step in outcome["steps"] if step["step"] == "firmware"]
    assert sorted(upgraded) == sorted(kind.value for kind, target in dmc.migration.firmware_targets.items()
                                      if target != installed[kind.value])


@pytest.mark.ttm("S1-MG-04")
@pytest.mark.srv("6.13")
@pytest.mark.functional_group("migration and enrolment")
def test_migration_replaces_credentials(migrated, dmc):
    for kind in ("ESME", "GSME", "CH"):
        if kind in {k.value for k in dmc.devices}:
            entries = migrated.request("6.13", device=kind, log="security").expect()["entries"]
            assert any(entry["code"] == "CREDS" and "migration" in entry["description"] for entry in entries), kind


@pytest.mark.ttm("S1-MG-05")
@pytest.mark.srv("8.2")
@pytest.mark.functional_group("migration and enrolment")
def test_enrolment_commissions_every_device(migrated, dmc):
    devices = migrated.request("8.2").expect()["devices"]
    assert sorted(row["kind"] for row in devices) == sorted(kind.value for kind in dmc.devices)
    assert {row["status"] for row in devices} == {"commissioned"}


@pytest.mark.ttm("S1-MG-08")
@pytest.mark.functional_group("migration and enrolment")
def test_without_wan_no_migration_and_five_failures_exclude(dormant):
    dormant.faults.wan_outage(hours=8)
    for attempt in range(1, 6):
        outcome = dormant.migrate(cohort="DMCT")
        assert not outcome["migrated"] and "no WAN" in "; ".join(outcome["reasons"])
        assert dormant.migration_readiness()["failed_attempts"] == attempt
    dormant.advance(hours=9)
    outcome = dormant.migrate(cohort="DMCT")
    assert not outcome["migrated"] and any("failed migration attempts" in reason for reason in outcome["reasons"])


@pytest.mark.ttm("S1-MG-09")
@pytest.mark.functional_group("migration and enrolment")
def test_without_master_keys_excluded(dormant):
    dormant.faults.lose_master_keys()
    outcome = dormant.migrate(cohort="DMCT")
    assert not outcome["migrated"] and any("master keys" in reason for reason in outcome["reasons"])
