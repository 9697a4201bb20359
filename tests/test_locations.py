"""Where findings point (`offline.locations`): the list item a resource was built from, the repository root."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.offline.locations import narrow, parse_key, repository_path, repository_root

DOCUMENT = {
    "cluster": {"gpu_pools": [{"name": "gput4"}, {"name": "gpua100"}], "system_pool": {"vm_size": "x"}},
    "ml": {"endpoints": [{"name": "chat-flow", "deployments": [{"name": "blue"}, {"name": "green"}]}]},
    "openai": {"deployments": [{"name": "chat"}, {"name": "chat-mini"}]},
}


def test_a_resource_is_narrowed_to_the_item_its_name_spells() -> None:
    assert narrow(DOCUMENT, ("cluster",), "cluster-pool-gpua100") == ("cluster", "gpu_pools", 1)
    assert narrow(DOCUMENT, ("ml",), "ml-chat-flow-green") == ("ml", "endpoints", 0, "deployments", 1)
    assert narrow(DOCUMENT, ("ml",), "ml-chat-flow-endpoint") == ("ml", "endpoints", 0)
    # the longest name wins: chat-mini, not chat
    assert narrow(DOCUMENT, ("openai",), "openai-deploy-chat-mini") == ("openai", "deployments", 1)
    assert narrow(DOCUMENT, ("openai",), "openai-deploy-chat") == ("openai", "deployments", 0)


def test_no_item_or_an_unknown_section_keeps_the_section() -> None:
    assert narrow(DOCUMENT, ("cluster",), "cluster-aks") == ("cluster",)
    assert narrow(DOCUMENT, ("budget",), "budget-gput4") == ("budget",)
    # words must match whole: "gput" is not "gput4"
    assert narrow(DOCUMENT, ("cluster",), "cluster-gput") == ("cluster",)


def test_keys_parse_with_list_indices() -> None:
    assert parse_key("ci.runners") == ("ci", "runners")
    assert parse_key("inference.models.0") == ("inference", "models", 0)


def test_paths_are_relative_to_the_nearest_checkout(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    project = tmp_path / "repo" / "infra"
    (project / "environments").mkdir(parents=True)
    root = repository_root(project)
    assert root == (tmp_path / "repo").resolve()
    assert repository_path(project / "environments" / "dev.yaml", root) == "infra/environments/dev.yaml"
    assert repository_path(tmp_path / "elsewhere.py", root) == (tmp_path / "elsewhere.py").resolve().as_posix()
    assert repository_root(tmp_path / "nowhere") == (tmp_path / "nowhere").resolve()
