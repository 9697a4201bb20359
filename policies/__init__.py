"""Security and cost rules (pulumi_policy objects), the price catalog and cost model, the
offline runner over a `Plan`, reports, and the CrossGuard pack (`PulumiPolicy.yaml`).

Knows nothing of components or environment files: rules judge resources by type and wire-name
properties, so they judge any Pulumi program. Import submodules directly; this package
imports nothing heavy.
"""
