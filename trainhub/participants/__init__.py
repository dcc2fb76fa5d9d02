"""Participants (people, CNP), target-group membership and eligibility."""
