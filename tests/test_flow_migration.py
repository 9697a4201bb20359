"""A prompt flow moving to a team app behind its gateway route (`ml.endpoints[].migrate_to`, docs/migration.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import line_of

from llmops_infra.components.gateway_policies import managed_identity_auth, weighted_split
from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError
from llmops_infra.offline.planning import plan_config

MIGRATE = "    - name: chat-flow\n      migrate_to:\n        app: {app}\n        traffic_percent: {percent}\n"


def _migrate(project: Path, app: str = "chat-api", percent: int = 10) -> None:
    path = project / "environments" / "base.yaml"
    text = path.read_text()
    old = "    - name: chat-flow\n"
    assert old in text
    path.write_text(text.replace(old, MIGRATE.format(app=app, percent=percent), 1))


def test_the_flow_route_sends_its_share_to_the_app_with_the_gateway_identity(project):
    _migrate(project, percent=10)
    plan = plan_config(load_environment("dev", project))
    api = next(a for a in plan.of_type("azure-native:apimanagement:Api") if a.props["apiId"] == "chat-flow")
    assert api.props["path"] == "models/chat-flow"  # the route clients know stays
    backends = {b.props["backendId"]: b for b in plan.of_type("azure-native:apimanagement:Backend")}
    app = next(a for a in plan.of_type("azure-native:app:ContainerApp") if a.name == "app-chat-api-app")
    environment = next(e for e in plan.of_type("azure-native:app:ManagedEnvironment") if e.name == "apps-environment")
    moved = backends["chat-flow-app"]
    assert moved.props["url"] == f"https://{app.props['containerAppName']}.{environment.outputs['defaultDomain']}/score"
    assert app.urn in moved.dependencies and "credentials" not in moved.props
    assert backends["chat-flow-0"].props["url"].endswith("/score")  # the endpoint keeps the rest
    policy = next(
        p for p in plan.of_type("azure-native:apimanagement:ApiPolicy") if str(p.props["apiId"]).endswith("chat-flow")
    ).props["value"]
    assert (
        weighted_split(
            percent=10,
            backend_id="chat-flow-app",
            auth=managed_identity_auth("api://llmops-gateway"),
            default_backend_id="chat-flow-0",
            default_auth=managed_identity_auth("https://ml.azure.com"),
        )
        in policy
    )
    assert "Next(100) &lt; 10)" in policy and policy.index("<validate-azure-ad-token") < policy.index("<choose>")
    # the teams that had the flow keep it
    links = [
        lk for lk in plan.of_type("azure-native:apimanagement:ProductApiLink") if lk.props["apiLinkId"] == "chat-flow"
    ]
    assert [lk.props["productId"] for lk in links] == ["search"]


def test_unknown_app_and_no_gateway_are_located(project):
    _migrate(project, app="nope")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert err.value.key == "ml.endpoints[0].migrate_to.app" and err.value.line == line_of(project, "app: nope")
    assert "app 'nope' is not in apps ['chat-api']" in str(err.value)


def test_traffic_outside_0_to_100_is_refused(project):
    _migrate(project, percent=120)
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert "migrate_to.traffic_percent" in err.value.key


def test_split_percent_is_a_percentage():
    with pytest.raises(ValueError, match="not a percentage"):
        weighted_split(percent=101, backend_id="a", auth="", default_backend_id="b", default_auth="")
