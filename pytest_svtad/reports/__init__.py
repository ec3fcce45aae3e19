"""Outputs: small sinks that read plan + results + issues + verdict after the fact."""
