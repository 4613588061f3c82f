"""Indicator providers computed from the collection ledger (separation rate)."""
