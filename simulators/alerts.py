"""Alert codes the simulator raises, with their names (how SMETS1 alerts map to GBCS codes is in
SEC Appendix AM, which was not available: these are the GBCS codes of the equivalent SMETS2 events)."""

ALERT_NAMES = {
    "8F35": "Supply Outage Restored",
    "8F36": "Supply Outage Restored - Outage >= 3 minutes",
    "8F57": "Supply Interrupted",
    "8F3F": "Tamper Detect",
    "810D": "Credit Below Low Credit Threshold",
    "8F0F": "Credit Below Disablement Threshold",
    "81AA": "Emergency Credit Exhausted",
    "8F1C": "Firmware Verification Failed",
    "8F72": "Firmware Verification Successful",
    "8F1F": "Low Battery Capacity",
}
