"""`init`: scaffold a new estate repository from the templates shipped in the package.

The environment templates are the repository's own `environments/*.yaml` and schemas,
copied into `pkg/delivery/templates/environments/` (package data, so an installed wheel can
scaffold). tests/test_init_cmd.py fails when the two drift apart.
"""

from __future__ import annotations

from pathlib import Path

from llmops_infra.delivery.environment_templates import template_files
from llmops_infra.errors import ConfigError

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

Infrastructure of the LLMOps estate, managed with llmops-infra. It is not on PyPI: install
the wheel in `ci/` (the version that wrote these pipelines), or whatever `--install` spec the
pipelines were generated with (see `llmops-infra pipeline generate --help`).

    python -m pip install './ci/{wheel}[azure]'
    llmops-infra validate            # the environment files: schema, rules, no secrets
    llmops-infra plan dev            # every resource, offline: no credentials, no Pulumi CLI
    llmops-infra policy check dev    # security and cost policies
    llmops-infra cost dev            # monthly estimate
    llmops-infra graph dev           # a Mermaid diagram of the estate

## Layout

- `environments/base.yaml`: what every environment shares; `environments/<env>.yaml`
  overrides it (mappings merge, lists replace). `base.schema.json` and `overlay.schema.json`
  (named in each file's modeline) let editors complete and check the files. Never put a secret in these files: they are rejected.
- Pipelines (`{pipelines}`): pull requests are validated and policy-checked (SARIF to code
  scanning, one comment with the cost change); main deploys dev, records its release, and
  promotes it to staging, then to prod after a manual approval. Before the first run,
  `llmops-infra bootstrap ENV` creates each environment's state storage, pipeline identity,
  CI environment and variables, and prints what an administrator must still grant; set
  `state.url` to the azblob:// URL it prints (CI refuses `file://` state).

## Releases

    llmops-infra release dev             # record what dev runs, after its checks pass
    llmops-infra promote dev staging     # the same pinned versions, staging's overlay
    llmops-infra approve prod --from staging --by you
    llmops-infra promote staging prod
    llmops-infra rollback prod --to <manifest id>

Every action leaves an audit record in `.llmops/audit.jsonl` and the artifact store.
"""


ADO_EXAMPLE = {
    "organization": "contoso",
    "organization_id": "0f0e0d0c-0b0a-4909-8807-060504030201",
    "project": "llmops",
}


def for_provider(files: dict[str, str], provider: str) -> dict[str, str]:
    """The templates for `provider`: they are written for GitHub; Azure DevOps gets its federation and runner kind.

    Edited as YAML data (ruamel round trip, comments kept), never as text.
    """
    if provider == "github":
        return files
    from io import StringIO

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = {}
    for rel, text in files.items():
        if not rel.endswith(".yaml"):
            out[rel] = text
            continue
        document = yaml.load(text)
        env = rel.rsplit("/", 1)[-1].removesuffix(".yaml")
        pipeline = (document.get("identity") or {}).get("pipeline")
        if pipeline is not None and "github" in pipeline:
            del pipeline["github"]
            connection = "llmops-dev" if env == "base" else f"llmops-{env}"
            pipeline["azure_devops"] = (
                {**ADO_EXAMPLE, "service_connection": connection}
                if env == "base"
                else {"service_connection": connection}
            )
        runners = (document.get("ci") or {}).get("runners")
        if runners is not None and runners.get("kind") == "github":
            runners["kind"] = "azure-devops"
            runners.pop("github", None)
        stream = StringIO()
        yaml.dump(document, stream)
        out[rel] = stream.getvalue()
    return out


def scaffold(target: Path, *, provider: str = "github", force: bool = False) -> list[Path]:
    """Write a new estate repository into `target`; refuse a non-empty directory without `force`."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file: give a directory", key="DIR")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigError(
            f"{target} is not empty: choose an empty directory or pass --force "
            "(files of the scaffold are replaced, each saved first as <name>.bak-<time>; others are left alone)",
            key="DIR",
        )
    from llmops_infra.delivery.pipeline_options import wheel_name
    from llmops_infra.delivery.pipelines import options_for, render
    from llmops_infra.delivery.pipelines import write as write_pipelines

    templates = for_provider(template_files(), provider)
    content = {**templates, ".gitignore": GITIGNORE}
    written = _write_texts(target, content)
    options, _notes = options_for(provider, target)
    generated = render(options)
    readme = README.format(pipelines=", ".join(sorted(generated.files)), wheel=wheel_name())
    written += _write_texts(target, {"README.md": readme})
    written += write_pipelines(generated, target, force=True)
    return written


def _write_texts(target: Path, content: dict[str, str]) -> list[Path]:
    """Each file atomically, inside `target`, never through a link; an existing file that
    differs is first copied to `<name>.bak-<UTC time>` (`--force` in a cloned repository)."""
    from llmops_infra.files import backup, write_atomic

    written = []
    for rel, text in content.items():
        path = target / rel
        if path.is_file() and not path.is_symlink() and path.read_bytes() != text.encode("utf-8"):
            saved = backup(path, root=target, key="DIR")
            if saved is not None:
                written.append(saved)
        written.append(write_atomic(path, text, root=target, key="DIR"))
    return written
