"""Lean provider imports change the cost of a plan, never its content."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from llmops_infra.offline.lean_imports import _candidates

REPO = Path(__file__).resolve().parent.parent

DIGEST = """
import sys
from pathlib import Path
if sys.argv[1] == "lean":
    from llmops_infra.offline import lean_imports
    lean_imports.install()
else:
    import llmops_infra.offline.lean_imports as li
    li.install = lambda: None  # planning must not install it in the reference run
import pulumi_azure_native.network as network
from llmops_infra.offline.planning import plan_environment
print(plan_environment(sys.argv[2], Path(sys.argv[3])).digest())
print(len([n for n in vars(network) if n[:1].isupper()]))
"""


def run(mode: str, env: str) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", DIGEST, mode, env, str(REPO)], capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], int(out[1])


def test_lean_plan_is_identical_and_loads_less() -> None:
    lean_digest, lean_names = run("lean", "prod")
    full_digest, full_names = run("full", "prod")
    assert lean_digest == full_digest
    # The full package defines hundreds of public names; the lean one only those used.
    assert full_names > 500
    assert lean_names < full_names / 4


def test_unplaceable_names_fall_back_to_the_real_package() -> None:
    code = (
        "from llmops_infra.offline import lean_imports; lean_imports.install()\n"
        "import pulumi_azure_native.network as n\n"
        "assert n.PrivateEndpoint.__name__ == 'PrivateEndpoint'\n"
        "assert n.SubnetArgs.__name__ == 'SubnetArgs'\n"
        "assert n._utilities.__name__.endswith('_utilities')\n"  # only the real __init__ defines it
        "assert n.VirtualNetwork.__module__.endswith('virtual_network')\n"
        "import pulumi_kubernetes as k8s\n"
        "assert k8s.core.v1.Namespace.__name__ == 'Namespace'\n"
        "try:\n    n.NoSuchThing\nexcept AttributeError:\n    print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_candidates() -> None:
    assert _candidates("pulumi_azure_native.network", "PrivateDnsZoneGroup")[0] == "private_dns_zone_group"
    assert _candidates("pulumi_azure_native.network", "SubnetArgs") == ["_inputs"]
    assert _candidates("pulumi_azure_native.containerservice", "list_managed_cluster_user_credentials_output") == [
        "list_managed_cluster_user_credentials"
    ]
    assert _candidates("pulumi_kubernetes.core.v1", "Namespace")[0] == "Namespace"
    assert _candidates("pulumi_kubernetes.core.v1", "outputs") == ["outputs"]
