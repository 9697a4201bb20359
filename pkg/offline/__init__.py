"""Offline planning: the estate (or any Pulumi program) synthesized under mocks into a Plan, and the offline policy check."""
