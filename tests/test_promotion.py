"""Promotion dev -> staging -> prod against a local state backend and a local artifact store.

The deployer is the real Pulumi engine (Automation API, a small component-only program, a
`file://` backend in the temporary project) when a Pulumi CLI is found; otherwise a
recording fake. `DEPLOYER` says which one ran. The gates (credentials and quota need
Azure) are a recording fake; the policy verdict and cost in each manifest come from the real
offline policy runner and cost model.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from llmops_infra.engine.gates import has_approval
from llmops_infra.engine.pulumi_cli import locate_engine
from llmops_infra.errors import ConfigError, EngineError
from llmops_infra.release.artifacts import LocalArtifactStore, Releases
from llmops_infra.release.audit import read_audit, record_approval
from llmops_infra.release.manifest import FAILED, PASSED, Evidence
from llmops_infra.release.promotion import (
    DeployOutcome,
    Hooks,
    PromotionRefused,
    promote,
    release,
    rollback,
)

ENGINE = locate_engine()
DEPLOYER = "real Pulumi engine" if ENGINE.found else "recording fake (no Pulumi CLI found)"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def small_program() -> None:
    """Component-only: no provider, no credentials; exports what the estate would pin."""
    import pulumi

    component = pulumi.ComponentResource("llmops:test:Release", "release")
    component.register_outputs({})
    pulumi.export("released", True)


class Recorder:
    def __init__(self, project_dir: Path, real_engine: bool) -> None:
        self.project_dir, self.real_engine = project_dir, real_engine
        self.deployed: list = []
        self.gated: list[str] = []
        self.checked: list[str] = []
        self.fail_next = False
        self.clock = 0

    def check(self, config, plan) -> Evidence:
        from llmops_infra.release.hooks import policy_check

        self.checked.append(config.name)
        return policy_check(config, plan)  # the real offline policy runner and cost model

    def gates(self, config, project_dir, plan) -> None:
        self.gated.append(config.name)

    def deploy(self, config, project_dir) -> DeployOutcome:
        self.deployed.append(config)
        if self.fail_next:
            self.fail_next = False
            raise EngineError(f"the update of {config.name} failed: simulated")
        if self.real_engine:
            from llmops_infra.release.hooks import engine_deploy

            return engine_deploy(small_program)(config, project_dir)
        return DeployOutcome(succeeded=True, summary={"same": 1})

    def hooks(self, **kwargs) -> Hooks:
        from llmops_infra.release.hooks import approved

        options = {
            "check": self.check,
            "gates": self.gates,
            "deploy": self.deploy,
            "approved": approved,
            "actor": "ci-bot",
            "now": self.tick,
            **kwargs,
        }
        return Hooks(**options)

    def tick(self) -> datetime:
        """A clock that moves one second per reading: each record is later than the last."""
        self.clock += 1
        return NOW + timedelta(seconds=self.clock)


@pytest.fixture
def project(tmp_path, project_dir, monkeypatch):
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only-passphrase")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / ".pulumi-home"))
    monkeypatch.delenv("LLMOPS_ARTIFACTS", raising=False)
    return tmp_path


@pytest.fixture
def releases(project):
    return Releases(LocalArtifactStore(project / ".llmops" / "releases"))


MODEL_OF = {"2026-03-05": "gpt-5.4", "2026-04-24": "gpt-5.5", "2025-08-07": "gpt-5"}
"""Current model versions (lifecycle catalog, 2026-12-01): validate refuses retired ones."""


def set_dev_versions(project: Path, gpt_version: str, k8s: str) -> None:
    """Edit dev.yaml as a developer would: another chat model version and Kubernetes version."""
    from ruamel.yaml import YAML

    yaml = YAML()
    path = project / "environments" / "dev.yaml"
    document = yaml.load(path.read_text())
    document.setdefault("cluster", {})["kubernetes_version"] = k8s
    document["openai"] = {
        "deployments": [
            {
                "name": "chat",
                "model": MODEL_OF[gpt_version],
                "version": gpt_version,
                "sku": "GlobalStandard",
                "capacity": 10,
            },
            # the chat-api app calls it (apps[0].models)
            {
                "name": "embeddings",
                "model": "text-embedding-3-large",
                "version": "1",
                "sku": "GlobalStandard",
                "capacity": 10,
            },
        ]
    }
    # the teams keep their models: dev still serves chat and embeddings (the app behind the gateway calls both
    # through its team's product, so its team must keep them)
    with path.open("w") as handle:
        yaml.dump(document, handle)


@pytest.mark.engine
def test_dev_to_staging_to_prod(project, releases):
    recorder = Recorder(project, ENGINE.found)
    print(f"deployer: {DEPLOYER}")
    set_dev_versions(project, "2026-03-05", "1.35")

    dev = release("dev", project, releases, recorder.hooks()).manifest
    assert dev.status == PASSED and dev.kubernetes_version == "1.35"
    assert dev.policy["mandatory_failures"] == 0 and dev.policy["rules_run"] > 0
    assert 0 < dev.cost["monthly_usd"] <= dev.cost["limit_usd"]

    staging = promote("dev", "staging", project, releases, recorder.hooks())
    deployed = recorder.deployed[-1]
    assert deployed.name == "staging"
    assert deployed.cluster.kubernetes_version == "1.35"  # pinned by dev's manifest
    gpt = {d.name: d for d in deployed.openai.deployments}["chat"]
    assert (gpt.version, gpt.capacity) == ("2026-03-05", 30)  # version pinned, capacity staging's
    assert deployed.cluster.gpu_pools[0].vm_size == "Standard_NC24ads_A100_v4"  # staging's own overlay
    assert staging.manifest.environment == "staging" and staging.manifest.passed
    assert staging.manifest.source["promoted_from"] == dev.id
    assert {"cluster.kubernetes_version", "openai.deployments[0].version"} <= {c.path for c in staging.config_changes}
    assert staging.plan_diff.counts()["added"] > 0 and not staging.plan_diff.removed

    with pytest.raises(PromotionRefused, match="requires an approval of manifest"):
        promote("staging", "prod", project, releases, recorder.hooks())
    assert [c.name for c in recorder.deployed] == ["staging"]  # nothing deployed to prod

    record_approval("prod", project, staging.manifest, "release-manager", now=datetime.now(UTC), releases=releases)
    assert has_approval("prod", project, manifest=staging.manifest.id)
    prod = promote("staging", "prod", project, releases, recorder.hooks())
    assert prod.manifest.passed and prod.manifest.source["promoted_from"] == staging.manifest.id
    assert recorder.deployed[-1].name == "prod" and recorder.deployed[-1].cluster.kubernetes_version == "1.35"
    assert recorder.gated == ["staging", "prod", "prod"]
    if ENGINE.found:
        assert prod.outcome.summary  # the engine reported its resource changes
        assert (project / ".llmops" / "state").is_dir()

    audit = read_audit(project)
    assert [(r["action"], r["environment"], r["result"]) for r in audit] == [
        ("release", "dev", PASSED),
        ("promote", "staging", "succeeded"),
        ("promote", "prod", "refused"),
        ("approve", "prod", "recorded"),
        ("promote", "prod", "succeeded"),
    ]
    assert audit[-1]["manifest"] == staging.manifest.id and audit[-1]["result_manifest"] == prod.manifest.id
    assert audit[-1]["by"] == "ci-bot" and audit[-1]["source_environment"] == "staging"
    assert len(releases.audit()) == 5


def test_missing_failed_and_tampered_manifests_are_refused(project, releases):
    recorder = Recorder(project, real_engine=False)
    with pytest.raises(PromotionRefused, match="dev has no release manifest"):
        promote("dev", "staging", project, releases, recorder.hooks())

    failing = recorder.hooks(check=lambda c, p: Evidence(policy_passed=False, policy={"mandatory_failures": 3}))
    failed = release("dev", project, releases, failing).manifest
    assert failed.status == FAILED
    with pytest.raises(PromotionRefused, match="failed: fix dev"):
        promote("dev", "staging", project, releases, recorder.hooks())

    good = release("dev", project, releases, recorder.hooks()).manifest
    key = f"manifests/dev/{good.id.removeprefix('sha256:')}.json"
    data = json.loads(releases.store.get(key))
    data["images"] = ["evil/image@sha256:" + "6" * 64]
    releases.store.put(key, json.dumps(data).encode())
    with pytest.raises(Exception, match="does not match its content"):
        promote("dev", "staging", project, releases, recorder.hooks())
    assert recorder.deployed == []
    assert [r["result"] for r in read_audit(project)][-1] == "refused"


def test_wrong_source_environment_is_refused(project, releases):
    recorder = Recorder(project, real_engine=False)
    release("dev", project, releases, recorder.hooks())
    with pytest.raises(PromotionRefused, match="prod receives releases from staging, not dev"):
        promote("dev", "prod", project, releases, recorder.hooks())


def test_promoting_an_environment_to_itself_is_bad_input(project, releases):
    recorder = Recorder(project, real_engine=False)
    release("dev", project, releases, recorder.hooks())
    with pytest.raises(ConfigError, match="rollback dev --to ID") as err:
        promote("dev", "dev", project, releases, recorder.hooks())
    assert err.value.exit_code == 2


def test_an_approval_for_an_unknown_environment_writes_nothing(project, releases):
    recorder = Recorder(project, real_engine=False)
    manifest = release("dev", project, releases, recorder.hooks()).manifest
    with pytest.raises(ConfigError, match=r"unknown environment '../x'"):
        record_approval("../x", project, manifest, "me")
    assert not (project / ".llmops" / "x.json").exists()


def test_interactive_confirmation_stands_in_for_a_recorded_approval(project, releases):
    recorder = Recorder(project, real_engine=False)
    release("dev", project, releases, recorder.hooks())
    promote("dev", "staging", project, releases, recorder.hooks())
    asked: list[str] = []
    with pytest.raises(PromotionRefused):
        promote("staging", "prod", project, releases, recorder.hooks(confirm=lambda q: asked.append(q) or False))
    result = promote("staging", "prod", project, releases, recorder.hooks(confirm=lambda q: asked.append(q) or True))
    assert result.manifest.passed and len(asked) == 2 and "prod requires approval" in asked[0]


def test_an_approval_must_name_the_promoted_manifest(project, releases):
    recorder = Recorder(project, real_engine=False)
    release("dev", project, releases, recorder.hooks())
    staging = promote("dev", "staging", project, releases, recorder.hooks()).manifest
    approvals = project / ".llmops" / "approvals"
    approvals.mkdir(parents=True, exist_ok=True)
    moment = datetime.now(UTC).replace(microsecond=0)
    record = {"environment": "prod", "approved_by": "someone", "approved_at": moment.isoformat()}
    (approvals / "prod.json").write_text(json.dumps(record))  # names no manifest and no expiry: approves nothing
    assert not has_approval("prod", project)
    with pytest.raises(PromotionRefused, match="requires an approval of manifest"):
        promote("staging", "prod", project, releases, recorder.hooks())
    record["expires_at"] = (moment + timedelta(hours=1)).isoformat()
    record["manifest"] = "sha256:" + "0" * 64  # another manifest
    (approvals / "prod.json").write_text(json.dumps(record))
    with pytest.raises(PromotionRefused):
        promote("staging", "prod", project, releases, recorder.hooks())
    record["manifest"] = staging.id
    (approvals / "prod.json").write_text(json.dumps(record))
    assert promote("staging", "prod", project, releases, recorder.hooks()).manifest.passed


def test_failed_deployment_records_a_failed_manifest(project, releases):
    recorder = Recorder(project, real_engine=False)
    release("dev", project, releases, recorder.hooks())
    recorder.fail_next = True
    with pytest.raises(EngineError, match="simulated"):
        promote("dev", "staging", project, releases, recorder.hooks())
    latest = releases.latest("staging")
    assert latest.status == FAILED and "simulated" in latest.source["error"]
    with pytest.raises(PromotionRefused, match="latest release of staging"):
        promote("staging", "prod", project, releases, recorder.hooks())


def test_rollback_reapplies_an_earlier_manifest(project, releases):
    recorder = Recorder(project, real_engine=False)
    set_dev_versions(project, "2025-08-07", "1.35")
    release("dev", project, releases, recorder.hooks())
    first = promote("dev", "staging", project, releases, recorder.hooks()).manifest
    set_dev_versions(project, "2026-04-24", "1.36")
    release("dev", project, releases, recorder.hooks())
    second = promote("dev", "staging", project, releases, recorder.hooks()).manifest
    assert recorder.deployed[-1].cluster.kubernetes_version == "1.36"

    back = rollback("staging", first.short_id, project, releases, recorder.hooks())
    assert recorder.deployed[-1].cluster.kubernetes_version == "1.35"
    assert {d.name: d.version for d in recorder.deployed[-1].openai.deployments}["chat"] == "2025-08-07"
    assert back.manifest.config_digest == first.config_digest
    assert back.manifest.source["rolled_back_to"] == first.id and back.manifest.id != second.id
    assert back.notes == []  # same code, same configuration: the same plan as recorded
    assert back.manifest.plan_digest == first.plan_digest

    shutil.rmtree(project / ".llmops" / "releases" / "configs")
    again = rollback("staging", second.id, project, releases, recorder.hooks())
    assert "not in the store" in again.notes[0]
    assert recorder.deployed[-1].cluster.kubernetes_version == "1.36"  # pins over the working tree's config
    with pytest.raises(PromotionRefused, match="is a release of dev, not staging"):
        rollback("staging", releases.latest("dev").id, project, releases, recorder.hooks())


@pytest.mark.engine
def test_promotion_from_a_relative_project_directory(project, releases, monkeypatch):
    """`-C .` is the CLI default: the engine's workspace must still get absolute paths."""
    monkeypatch.chdir(project)
    recorder = Recorder(project, ENGINE.found)
    release("dev", Path(), releases, recorder.hooks())
    result = promote("dev", "staging", Path(), releases, recorder.hooks())
    assert result.manifest.passed and recorder.deployed[-1].name == "staging"
    assert (project / ".llmops" / "audit.jsonl").is_file()
