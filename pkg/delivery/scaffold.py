"""`init`: scaffold a new estate repository from the templates shipped in the package.

The environment templates are the repository's own `environments/*.yaml` and `schema.json`,
copied into `pkg/delivery/templates/environments/` (package data, so an installed wheel can
scaffold). tests/test_init_cmd.py fails when the two drift apart.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from llmops_infra.delivery.pipelines import render as render_pipelines
from llmops_infra.errors import ConfigError

TEMPLATES = "templates/environments"

GITIGNORE = """\
# llmops-infra local state: Pulumi file backend, workspaces, approvals, audit, releases.
# Teams keep state in Azure Blob (state.url: azblob://...) and releases in an artifact store.
.llmops/
# Never commit a passphrase or credentials.
*.passphrase
.env
__pycache__/
.venv/
"""

README = """\
# LLMOps estate

Infrastructure of the LLMOps estate, managed with
[llmops-infra](https://pypi.org/project/llmops-infra/).

    pip install llmops-infra
    llmops-infra validate            # the environment files: schema, rules, no secrets
    llmops-infra plan dev            # every resource, offline: no credentials, no Pulumi CLI
    llmops-infra policy check dev    # security and cost policies
    llmops-infra cost dev            # monthly estimate
    llmops-infra graph dev           # a Mermaid diagram of the estate

## Layout

- `environments/base.yaml`: what every environment shares; `environments/<env>.yaml`
  overrides it (mappings merge, lists replace). `schema.json` lets editors complete and
  check the files. Never put a secret in these files: they are rejected.
- Pipelines (`{pipelines}`): pull requests are validated and policy-checked (SARIF to code
  scanning, one comment with the cost change); main deploys dev, records its release, and
  promotes it to staging, then to prod after a manual approval.

## Releases

    llmops-infra release dev             # record what dev runs, after its checks pass
    llmops-infra promote dev staging     # the same pinned versions, staging's overlay
    llmops-infra approve prod --from staging --by you
    llmops-infra promote staging prod
    llmops-infra rollback prod --to <manifest id>

Every action leaves an audit record in `.llmops/audit.jsonl` and the artifact store.
"""


def template_files() -> dict[str, str]:
    """environments/<name> -> text, from the package data."""
    root = files("llmops_infra.delivery").joinpath(TEMPLATES)
    names = sorted(entry.name for entry in root.iterdir() if entry.name.endswith((".yaml", ".json")))
    if "base.yaml" not in names or "schema.json" not in names:
        raise ConfigError("the installed llmops-infra has no environment templates: reinstall it")
    return {f"environments/{name}": root.joinpath(name).read_text(encoding="utf-8") for name in names}


def scaffold(target: Path, *, provider: str = "github", force: bool = False) -> list[Path]:
    """Write a new estate repository into `target`; refuse a non-empty directory without `force`."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file: give a directory", key="DIR")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigError(
            f"{target} is not empty: choose an empty directory or pass --force "
            "(files of the scaffold are overwritten, others are left alone)",
            key="DIR",
        )
    pipelines = render_pipelines(provider)
    content = {
        **template_files(),
        ".gitignore": GITIGNORE,
        "README.md": README.format(pipelines=", ".join(sorted(pipelines))),
        **pipelines,
    }
    written = []
    for rel, text in content.items():
        path = target / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if path.suffix == ".sh":
                path.chmod(0o755)
        except OSError as exc:
            raise ConfigError(
                f"cannot write {path}: {exc.strerror}: choose a directory you can write to", key="DIR"
            ) from None
        written.append(path)
    return written
