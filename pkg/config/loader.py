"""Load `environments/base.yaml` + `environments/<env>.yaml` into an `EnvironmentConfig`.

Every way an input can be wrong ends in one `ConfigError` that names the file, the key path
and the line: YAML syntax, duplicate keys, non-UTF-8 bytes, a top level that is not a
mapping, alias bombs, secrets, unknown keys (with a suggestion), wrong types and values.
Overlay: mappings merge deeply, everything else (lists included) is replaced.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmops_infra.config.apps import cross_check_apps
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.config.secrets_scan import format_path, refuse_secrets
from llmops_infra.config.validation_messages import describe

# re-exported: the YAML reader lived here, and callers import these from the loader
from llmops_infra.config.yaml_source import MAX_DEPTH as MAX_DEPTH
from llmops_infra.config.yaml_source import MAX_FILE_BYTES as MAX_FILE_BYTES
from llmops_infra.config.yaml_source import MAX_NODES as MAX_NODES
from llmops_infra.config.yaml_source import KeyPath as KeyPath
from llmops_infra.config.yaml_source import Source as Source
from llmops_infra.config.yaml_source import read_yaml as read_yaml
from llmops_infra.errors import ConfigError

ENVIRONMENTS_DIR = "environments"
BASE_FILE = "base.yaml"


def environments_dir(project_dir: Path) -> Path:
    project_dir = Path(project_dir)
    if not project_dir.is_dir():
        raise ConfigError(
            f"project directory {project_dir} does not exist: pass --project-dir with the directory "
            "that holds environments/ (or run `llmops-infra init DIR`)"
        )
    env_dir = project_dir / ENVIRONMENTS_DIR
    if not env_dir.is_dir():
        raise ConfigError(
            f"{project_dir} has no {ENVIRONMENTS_DIR}/ directory: pass --project-dir with the directory "
            "that holds environments/ (or run `llmops-infra init DIR`)"
        )
    return env_dir


def list_environments(project_dir: Path) -> list[str]:
    """Names of the environments in the project: every environments/*.yaml but base.yaml."""
    env_dir = environments_dir(project_dir)
    return sorted(p.stem for p in env_dir.glob("*.yaml") if p.name != BASE_FILE)


def load_environment(name: str, project_dir: Path) -> EnvironmentConfig:
    """Read, merge, scan and validate one environment."""
    return load_environment_with_source(name, project_dir)[0]


def require_environment(name: str, project_dir: Path) -> None:
    """Bad input (exit 2) unless `name` is an environment of the project."""
    known = list_environments(project_dir)
    if name not in known:
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ConfigError(
            f"unknown environment {name!r}{suggestion}: known environments are "
            f"{', '.join(known) or 'none'} (files in {environments_dir(project_dir)})"
        )


def load_environment_with_source(name: str, project_dir: Path) -> tuple[EnvironmentConfig, dict[str, Any]]:
    """The validated config and the merged document it came from."""
    config, merged, _source = load_located(name, project_dir)
    return config, merged


Located = tuple[EnvironmentConfig, dict[str, Any], Source]
"""What `load_located` returns: the validated config, the merged document, where each key was written."""


def load_located(name: str, project_dir: Path, *, check_lifecycle: bool = True) -> Located:
    """The validated config, its merged document and where each key was written. With `check_lifecycle`
    (validate, plan, policy check, up) a retired pin or an incompatible GPU stack is a `ConfigError` naming file,
    key and line (`config/lifecycle.py`); `lifecycle ENV` and `lifecycle refresh` read configs without it."""
    env_dir = environments_dir(project_dir)
    require_environment(name, project_dir)
    source = Source()
    base_path = env_dir / BASE_FILE
    merged: dict[str, Any] = {}
    env_path = env_dir / f"{name}.yaml"
    env_display = _display(env_path, project_dir)
    if base_path.exists():
        merged = read_yaml(base_path, source, display=_display(base_path, project_dir))
        refuse_secrets(merged, source.locate, _display(base_path, project_dir))
    overlay = read_yaml(env_path, source, display=env_display)
    # each file before anything else reads it (the name check, the merge, the validators that
    # quote values): a secret overridden by the overlay is still committed in base.yaml
    refuse_secrets(overlay, source.locate, env_display)
    merged = deep_merge(merged, overlay)
    if merged.get("name", name) != name:
        line = source.lines.get(("name",), (env_display, None))[1]
        raise ConfigError(
            f"name is {merged['name']!r} but the file is {name}.yaml: make them match",
            file=env_display,
            key="name",
            line=line,
        )
    merged["name"] = name
    try:
        config = EnvironmentConfig.model_validate(merged)
    except ValidationError as exc:
        raise _config_error(exc, source, env_display) from None
    except ConfigError as exc:  # a cross-section check that names its exact key (config.gateway.check_teams)
        if exc.file or not exc.key:
            raise
        file, line = source.locate(tuple(int(p) if p.isdigit() else p for p in exc.key.split(".")))
        raise ConfigError(exc.detail, file=file or env_display, key=exc.key, line=line) from None
    _check_promotion_source(config, project_dir, source, env_display)
    for key_path, message in cross_check_apps(config):
        file, line = source.locate(key_path)
        raise ConfigError(message, file=file or env_display, key=format_path(key_path), line=line)
    config = _resolve_paths(config, Path(project_dir))
    if check_lifecycle:
        _refuse_retired(config, source, env_display)
    return config, merged, source


def _check_promotion_source(config: EnvironmentConfig, project_dir: Path, source: Source, env_display: str) -> None:
    """promotion.source names another environment of this project (not the environment itself)."""
    wanted = config.promotion.source
    if wanted is None:
        return
    file, line = source.locate(("promotion", "source"))
    known = [e for e in list_environments(project_dir) if e != config.name]
    if wanted == config.name:
        problem = f"{config.name} cannot receive its releases from itself"
    elif wanted not in known:
        hint = difflib.get_close_matches(wanted, known, n=1)
        problem = f"{wanted[:40]!r} is not an environment of this project" + (
            f" (did you mean {hint[0]!r}?)" if hint else ""
        )
    else:
        return
    raise ConfigError(
        f"{problem}: name one of {', '.join(known) or '(no other environment)'} or remove promotion.source",
        file=file or env_display,
        key="promotion.source",
        line=line,
    )


def _resolve_paths(config: EnvironmentConfig, project_dir: Path) -> EnvironmentConfig:
    """Paths in the files are relative to the project directory: make them absolute once, here."""
    catalog = config.cost.price_catalog
    if catalog is None or Path(catalog).is_absolute():
        return config
    cost = config.cost.model_copy(update={"price_catalog": str((project_dir / catalog).resolve())})
    return config.model_copy(update={"cost": cost})


def lifecycle_findings(
    config: EnvironmentConfig, source: Source, env_display: str
) -> tuple[list[tuple[str, int | None, str, str]], list[str]]:
    """(errors as (file, line, key, message), warnings as `file:line: key: message`) of the lifecycle check."""
    from llmops_infra.config import lifecycle
    from llmops_infra.policies.lifecycle_catalog import LifecycleCatalogError

    try:
        report = lifecycle.check(config)
    except LifecycleCatalogError as exc:
        raise ConfigError(f"{exc}: run `llmops-infra lifecycle refresh` or remove the broken file") from None

    def located(finding: Any) -> tuple[str, int | None, str, str]:
        file, number = source.locate(finding.key)
        return file or env_display, number, format_path(finding.key), finding.message

    def text(item: tuple[str, int | None, str, str]) -> str:
        file, number, key, message = item
        return f"{file}" + (f":{number}" if number else "") + f": {key}: {message}"

    return [located(f) for f in report.errors], [text(located(f)) for f in report.warnings]


def _refuse_retired(config: EnvironmentConfig, source: Source, env_display: str) -> None:
    errors, _warnings = lifecycle_findings(config, source, env_display)
    hint = f"`llmops-infra lifecycle {config.name}` lists every pin with its dates"
    if len(errors) == 1:
        file, line, key, message = errors[0]
        raise ConfigError(f"{message}. {hint}", file=file, key=key, line=line)
    if errors:
        lines = [f"{f}" + (f":{n}" if n else "") + f": {k}: {m}" for f, n, k, m in errors]
        raise ConfigError(
            f"{len(errors)} pins are retired, out of support or incompatible today:\n  "
            + "\n  ".join(lines)
            + f"\n{hint}",
            problems=[(f, n, k, f"{m}. {hint}") for f, n, k, m in errors],
        )


def lifecycle_warnings(name: str, project_dir: Path) -> list[str]:
    """What `validate` prints as warnings for ENV: pins retiring within the catalog's window, deprecated or unknown."""
    config, _merged, source = load_located(name, project_dir, check_lifecycle=False)
    env_display = _display(environments_dir(project_dir) / f"{name}.yaml", project_dir)
    return lifecycle_findings(config, source, env_display)[1]


def config_digest(document: dict[str, Any]) -> str:
    """sha256 of the merged document in canonical JSON: what a release manifest pins."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Overlay onto base: mappings merge recursively; lists and scalars replace."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _display(path: Path, project_dir: Path) -> str:
    try:
        return str(path.relative_to(project_dir))
    except ValueError:
        return str(path)


def _config_error(exc: ValidationError, source: Source, env_display: str) -> ConfigError:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(error["loc"])
        file, line = source.locate(loc)
        problems.append((file or env_display, format_path(loc) or "(top level)", line, describe(error, loc)))
    if len(problems) == 1:
        file, key, line, message = problems[0]
        return ConfigError(message, file=file, key=key, line=line)
    lines = [f"{file}" + (f":{line}" if line else "") + f": {key}: {message}" for file, key, line, message in problems]
    return ConfigError(
        f"{len(lines)} problems in the environment:\n  " + "\n  ".join(lines),
        problems=[(file, line, key, message) for file, key, line, message in problems],
    )


def locate_error(error: ConfigError, name: str, project_dir: Path) -> ConfigError:
    """`error` with the file and line of its key added, when it names a key but no file.

    Errors raised while the estate is built (a component refusing its args) know the config key
    only; the source of each key is read again here, on the error path alone.
    """
    if error.file or not error.key:
        return error
    try:
        env_dir = environments_dir(project_dir)
        source = Source()
        for path in (env_dir / BASE_FILE, env_dir / f"{name}.yaml"):
            if path.exists():
                read_yaml(path, source, display=_display(path, project_dir))
    except ConfigError:
        return error
    key_path: KeyPath = tuple(int(p) if p.isdigit() else p for p in error.key.split("."))
    file, line = source.locate(key_path)
    if file is None:
        return error
    message = str(error).removeprefix(f"{error.key}: ")
    return ConfigError(message, file=file, key=error.key, line=line)
