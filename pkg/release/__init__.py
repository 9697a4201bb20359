"""Releases: content-addressed manifests, promotion between environments, pins and approvals."""
