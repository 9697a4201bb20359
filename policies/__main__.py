"""The CrossGuard entry point: `pulumi preview --policy-pack policies [--policy-pack-config FILE]`.

Levels, limits and exemptions of an environment come from the pack config
(`llmops-infra policy pack-config ENV -o FILE`).
"""

from pulumi_policy import PolicyPack

from llmops_infra.policies.pack import pack_arguments

PolicyPack(**pack_arguments())
