"""Public SME applications to a project and the coordinator's queue (DESIGN §16)."""
