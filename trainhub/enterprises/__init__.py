"""SMEs: registry, size class, de minimis aids."""
