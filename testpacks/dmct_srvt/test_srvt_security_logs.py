"""Credentials and logs."""

import re

import pytest


@pytest.mark.ttm("S1-SE-01", "S1-SE-02")
@pytest.mark.srv("6.15.2")
@pytest.mark.functional_group("security and credentials")
def test_update_security_credentials_is_logged_and_discloses_no_key(installation):
    body = installation.request("6.15.2", role="supplier").expect()
    assert re.fullmatch(r"[0-9A-F]{16}", body["key_fingerprint"]), "expected a fingerprint, never key material"
    assert not any("key" in name and name != "key_fingerprint" for name in body)
    entries = installation.request("6.13", log="security").expect()["entries"]
    assert entries and entries[-1]["code"] == "CREDS"


@pytest.mark.ttm("S1-LG-03", "S1-LG-01", "S1-SE-04", "S1-LG-04")
@pytest.mark.srv("6.13")
@pytest.mark.functional_group("logs")
def test_read_event_and_security_logs(installation):
    installation.request("7.2").expect()
    installation.request("1.1.1", tariff={"unit_rate_pence": 22.0}).expect()
    installation.request("6.15.2", role="network_operator").expect()
    events = installation.request("6.13", log="event").expect()["entries"]
    security = installation.request("6.13", log="security").expect()["entries"]
    assert {"SUPPLY", "TARIFF"} <= {entry["code"] for entry in events}
    assert "CREDS" in {entry["code"] for entry in security}
    assert all(abs((entry["time"] - installation.now).total_seconds()) < 600 for entry in events[-2:])


@pytest.mark.ttm("S1-LG-02", "S1-SE-05")
@pytest.mark.srv("3.3")
@pytest.mark.functional_group("logs")
def test_clear_event_log_is_recorded_in_the_security_log(installation):
    installation.request("7.2").expect()
    installation.request("3.3").expect()
    assert installation.request("6.13", log="event").expect()["entries"] == []
    assert installation.request("6.13", log="security").expect()["entries"][-1]["code"] == "LOGCLR"
