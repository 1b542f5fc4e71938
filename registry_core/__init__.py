"""registry-core."""
