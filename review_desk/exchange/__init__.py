"""Offline exchange between the agency and the experts: work packages out, signed score
returns back (see docs/security.md)."""
