"""The vocabulary every layer speaks: device and DMC profiles, the SRV catalogue, and the messages."""
