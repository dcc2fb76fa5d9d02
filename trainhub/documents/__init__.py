"""Document checklists, uploads, review, completeness and reminders."""
