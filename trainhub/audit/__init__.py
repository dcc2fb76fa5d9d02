"""Audit trail: generic recording of changes and an admin page to browse them."""
