"""SIT functional: migration and enrolment of a dormant installation."""

import pytest


@pytest.mark.ttm("S1-MG-01", "S1-MG-05", "S1-MG-06", "S1-MG-07")
@pytest.mark.srv("8.2")
@pytest.mark.functional_group("migration and enrolment")
def test_dormant_installation_migrated_and_in_service(dormant, codes):
    assert dormant.request("4.1.1").code == "E21"
    assert dormant.request("8.2").code == "E19"
    outcome = dormant.migrate(cohort="FOC")
    assert outcome["migrated"], outcome["reasons"]
    assert {row["status"] for row in dormant.request("8.2").expect()["devices"]} == {"commissioned"}
    dormant.request("7.2").expect()
    dormant.advance(minutes=10)
    assert "8F57" in codes(dormant)


@pytest.mark.ttm("S1-MG-02", "S1-MG-03")
@pytest.mark.srv("11.2")
@pytest.mark.functional_group("migration and enrolment")
def test_readiness_then_firmware_to_target(dormant, dmc):
    readiness = dormant.migration_readiness()
    assert readiness["eligible"], readiness["reasons"]
    assert dormant.migrate()["migrated"]
    for kind, target in dmc.migration.firmware_targets.items():
        assert dormant.request("11.2", device=kind.value).expect()["firmware"] == target


@pytest.mark.ttm("S1-MG-04")
@pytest.mark.srv("6.13")
@pytest.mark.functional_group("migration and enrolment")
def test_migration_replaces_meter_credentials(migrated):
    entries = migrated.request("6.13", log="security").expect()["entries"]
    assert any("DCC credentials" in entry["description"] for entry in entries)


@pytest.mark.ttm("S1-MG-08", "S1-MG-09")
@pytest.mark.functional_group("migration and enrolment")
def test_exclusions_no_wan_and_no_master_keys(dormant):
    dormant.faults.wan_outage(hours=1)
    assert "the comms hub has no WAN connection" in dormant.migrate()["reasons"]
    dormant.advance(hours=2)
    dormant.faults.lose_master_keys()
    assert "the SMSO holds no master keys for the devices" in dormant.migrate()["reasons"]
    assert dormant.migration_readiness()["failed_attempts"] == 2
