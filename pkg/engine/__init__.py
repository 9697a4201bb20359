"""The real Pulumi engine: locating the CLI, the Automation API lifecycle, gates, progress, doctor and Azure access."""
