"""Calls, projects, targets and reporting periods."""
