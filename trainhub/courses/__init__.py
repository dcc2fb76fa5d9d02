"""Course catalogue, cohorts, sessions and enrollment."""
