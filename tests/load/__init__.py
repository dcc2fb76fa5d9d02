"""A bounded load test of the served app on PostgreSQL (issue 8): `python -m tests.load`."""
