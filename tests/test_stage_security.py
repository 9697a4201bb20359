"""The security stages: what used to fail only at plan time is refused by `validate` (exit 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app

REPO = Path(__file__).resolve().parent.parent
HUB = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones"


def _validate_dev(tmp_path: Path, old: str, new: str):
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    dev = tmp_path / "environments" / "dev.yaml"
    text = dev.read_text()
    assert old in text
    dev.write_text(text.replace(old, new, 1))
    return CliRunner().invoke(app, ["validate", "dev", "--project-dir", str(tmp_path)])


KEY_VAULT = "key_vault:\n  soft_delete_retention_days: 7\n"
BUDGET = "budget:\n"


@pytest.mark.parametrize(
    "old,new,message",
    [
        (
            KEY_VAULT,
            KEY_VAULT + "  allow_public_network_access: true\n  allowed_ip_ranges: [192.168.0.0/16]\n",
            "key_vault: allowed_ip_ranges: 192.168.0.0/16 is not a public range",
        ),
        (
            KEY_VAULT,
            KEY_VAULT
            + f"network:\n  existing_private_dns_zones:\n    privatelink.example.com: {HUB}/privatelink.example.com\n",
            "['privatelink.example.com'] are not private DNS zones the estate uses",
        ),
        (
            BUDGET,
            "monitoring:\n  grafana: false\n  grafana_admin_group_object_ids: [0b5f1c9e-1111-4a2b-8c3d-111111111111]\n"
            + BUDGET,
            "grafana_admin_group_object_ids has no effect without Grafana",
        ),
        (KEY_VAULT, KEY_VAULT + "identity:\n  workloads: []\n", "identity.workloads"),
        (BUDGET, BUDGET + "  start_date: 2026-11-15\n", "use 2026-11-01"),
    ],
)
def test_validate_refuses_what_the_security_stages_cannot_build(tmp_path, old, new, message):
    result = _validate_dev(tmp_path, old, new)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "environments/dev.yaml" in output and message in output
    assert "Traceback" not in output


def test_validate_accepts_public_monitoring_and_grafana_admins(tmp_path):
    result = _validate_dev(
        tmp_path,
        BUDGET,
        "monitoring:\n  allow_public_network_access: true\n"
        "  grafana_admin_group_object_ids: [0b5f1c9e-1111-4a2b-8c3d-111111111111]\n" + BUDGET,
    )
    assert result.exit_code == 0, result.output
    assert "ok dev" in result.output
