"""Loading environments: overlays, and every kind of bad input as one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops_infra.config.loader import deep_merge, list_environments, load_environment, load_environment_with_source
from llmops_infra.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def write(project: Path, name: str, text: str | bytes) -> Path:
    path = project / "environments" / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def error_of(project: Path, env: str = "dev") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_environment(env, project)
    return info.value


def test_shipped_environments_load() -> None:
    assert list_environments(REPO) == ["dev", "prod", "staging"]
    for env in list_environments(REPO):
        config = load_environment(env, REPO)
        assert config.name == env


def test_overlay_merges_mappings_and_replaces_lists() -> None:
    dev = load_environment("dev", REPO)
    # dev.yaml overrides budget.monthly_usd; contact_emails comes from base.yaml.
    assert dev.budget.monthly_usd == 1500
    assert dev.budget.contact_emails == ["finops@contoso.com", "platform-team@contoso.com"]
    # gpu_pools is a list: dev's replaces base's entirely.
    assert [p.spot for p in dev.cluster.gpu_pools] == [True]
    prod = load_environment("prod", REPO)
    assert [(p.vm_size, p.min_nodes, p.max_nodes) for p in prod.cluster.gpu_pools] == [
        ("Standard_NC24ads_A100_v4", 2, 8)
    ]


def test_deep_merge_does_not_mutate_inputs() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    overlay = {"a": {"c": [3]}, "e": 2}
    assert deep_merge(base, overlay) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_yaml_syntax_error_names_file_and_line(project: Path) -> None:
    write(project, "dev.yaml", "azure:\n  location: eastus\n  bad: [unclosed\n")
    err = error_of(project)
    assert err.file == "environments/dev.yaml"
    assert err.line is not None and err.line >= 3
    assert "YAML error" in str(err)


def test_duplicate_key_is_an_error(project: Path) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text + "budget:\n  monthly_usd: 10\n")
    err = error_of(project)
    assert "duplicate" in str(err).lower()
    assert err.file == "environments/dev.yaml"
    assert err.line is not None


def test_duplicate_key_error_never_echoes_the_values(project: Path) -> None:
    # a secret pasted under a second `azure:` block must not be printed back by the YAML error
    secret = "abcD3fGhiJklMnoPqrsTuvWxyz0123456789~xyZ"
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text + f'azure:\n  client_secret: "{secret}"\n')
    err = error_of(project)
    assert "duplicate key 'azure'" in str(err)
    assert secret not in str(err)
    assert "subscription_id" not in str(err)  # nor the original value


def test_unknown_key_suggests_the_right_one(project: Path) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text.replace("  sku_tier: Free\n", "  sku_teir: Free\n"))
    err = error_of(project)
    assert "cluster.sku_teir" in str(err)
    assert "did you mean 'sku_tier'" in str(err)
    assert err.line == text.splitlines().index("  sku_tier: Free") + 1


def test_unknown_key_in_a_list_item_suggests(project: Path) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text.replace("      spot: true\n", "      spto: true\n"))
    err = error_of(project)
    assert "cluster.gpu_pools[0].spto" in str(err)
    assert "did you mean 'spot'" in str(err)


def test_wrong_type_names_key_and_line(project: Path) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text.replace("  monthly_usd: 1500", "  monthly_usd: lots"))
    err = error_of(project)
    assert err.key == "budget.monthly_usd"
    assert err.file == "environments/dev.yaml"
    assert "number" in str(err)


def test_out_of_range_value(project: Path) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text.replace("  soft_delete_retention_days: 7", "  soft_delete_retention_days: 3"))
    err = error_of(project)
    assert err.key == "key_vault.soft_delete_retention_days"
    assert "greater than or equal to 7" in str(err)


def test_cross_field_rule_explains_the_fix(project: Path) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    write(
        project,
        "dev.yaml",
        text.replace(
            "      min_nodes: 0\n      max_nodes: 2\n      spot: true",
            "      min_nodes: 4\n      max_nodes: 2\n      spot: true",
        ),
    )
    err = error_of(project)
    assert "min_nodes (4) exceeds max_nodes (2): lower min_nodes or raise max_nodes" in str(err)
    assert err.key == "cluster.gpu_pools[0]"


def test_non_utf8_file(project: Path) -> None:
    write(project, "dev.yaml", b"azure:\n  location: east\xffus\n")
    err = error_of(project)
    assert "not UTF-8" in str(err)
    assert err.line == 2


def test_top_level_must_be_a_mapping(project: Path) -> None:
    write(project, "dev.yaml", "- just\n- a list\n")
    err = error_of(project)
    assert "not a mapping" in str(err)


def test_alias_bomb_is_refused(project: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    write(project, "dev.yaml", "\n".join(lines) + "\n")
    err = error_of(project)
    assert "alias bomb" in str(err)


def test_unknown_environment_lists_known(project: Path) -> None:
    err = error_of(project, "prdo")
    assert "unknown environment 'prdo'" in str(err)
    assert "did you mean 'prod'" in str(err)
    assert "dev, prod, staging" in str(err)


def test_missing_project_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_environment("dev", tmp_path / "nope")
    with pytest.raises(ConfigError, match="no environments/ directory"):
        load_environment("dev", tmp_path)


SECRETS = {
    "storage connection string": "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0;EndpointSuffix=core.windows.net",
    "hugging face token": "hf_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7",
    "github token": "ghp_" + "A" * 36,
    "storage key": "A" * 86 + "==",
    "sql connection string": "Server=tcp:x.database.windows.net;Database=d;User ID=u;Password=Sup3rS3cret!;",
    "slack bot token": "xoxb-" + "1234567890-abcdefghijklmnop",
    "aws access key": "AKIA" + "IOSFODNN7EXAMPLE",
}


@pytest.mark.parametrize("what", sorted(SECRETS))
def test_secret_values_are_rejected_without_echo(project: Path, what: str) -> None:
    value = SECRETS[what]
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text + f'tags:\n  extra:\n    note: "{value}"\n')
    err = error_of(project)
    assert "Secrets never go in environment files" in str(err)
    assert err.key == "tags.extra.note"
    assert value not in str(err)
    assert value[:12] not in str(err)


def test_secret_like_key_is_rejected_without_echo(project: Path) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text + "monitoring:\n  password: hunter2hunter2\n")
    err = error_of(project)
    assert "monitoring.password" in str(err)
    assert "hunter2" not in str(err)


@pytest.mark.parametrize("key", ["slack_token", "db_password", "storage_account_key"])
def test_secret_like_key_with_a_prefix_is_rejected_without_echo(project: Path, key: str) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", text + f"tags:\n  extra:\n    {key}: hunter2hunter2\n")
    err = error_of(project)
    assert f"tags.extra.{key}" in str(err) and "Secrets never go in environment files" in str(err)
    assert "hunter2" not in str(err)


def test_source_document_and_name_mismatch(project: Path) -> None:
    config, document = load_environment_with_source("staging", project)
    assert document["name"] == "staging" and config.promotion.source == "dev"
    text = (project / "environments" / "dev.yaml").read_text()
    write(project, "dev.yaml", "name: prod\n" + text)
    err = error_of(project)
    assert "name is 'prod' but the file is dev.yaml" in str(err)


def test_several_problems_are_listed_each_with_file_line_and_key(project: Path) -> None:
    text = (project / "environments" / "dev.yaml").read_text()
    text = text.replace("  monthly_usd: 1500", "  monthly_usd: lots")
    text = text.replace("  soft_delete_retention_days: 7", "  soft_delete_retention_days: 3")
    write(project, "dev.yaml", text)
    message = str(error_of(project))
    lines = text.splitlines()
    assert message.startswith("2 problems in the environment:")
    assert f"environments/dev.yaml:{lines.index('  monthly_usd: lots') + 1}: budget.monthly_usd:" in message
    assert (
        f"environments/dev.yaml:{lines.index('  soft_delete_retention_days: 3') + 1}: "
        "key_vault.soft_delete_retention_days: Input should be greater than or equal to 7"
    ) in message


def test_a_text_read_twice_is_parsed_once_and_located_in_each_file(tmp_path: Path) -> None:
    from llmops_infra.config import yaml_source
    from llmops_infra.config.yaml_source import Source, read_yaml

    text = "azure:\n  location: swedencentral\ntags:\n  - a\n"
    first, second = tmp_path / "one.yaml", tmp_path / "two.yaml"
    first.write_text(text)
    second.write_text(text)
    one, two = Source(), Source()
    data = read_yaml(first, one, display="one.yaml")
    assert text in yaml_source._PARSED
    data["tags"].append("mutated")  # the caller's copy, not the kept one
    again = read_yaml(second, two, display="two.yaml")
    assert again == {"azure": {"location": "swedencentral"}, "tags": ["a"]}
    assert one.lines[("azure", "location")] == ("one.yaml", 2)
    assert two.lines[("azure", "location")] == ("two.yaml", 2) and two.lines[("tags", 0)] == ("two.yaml", 4)
