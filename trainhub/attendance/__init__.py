"""Attendance marks, sign-in sheets, completion and certificates."""
