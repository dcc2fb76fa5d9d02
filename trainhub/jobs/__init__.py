"""Background jobs: long exports and big import previews run on a task queue (huey)."""
