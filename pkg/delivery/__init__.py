"""Getting the estate into CI: pipeline generation and repository scaffolding."""
