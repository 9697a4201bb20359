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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.config.secrets_scan import format_path, refuse_secrets
from llmops_infra.config.validation_messages import describe
from llmops_infra.errors import ConfigError

ENVIRONMENTS_DIR = "environments"
BASE_FILE = "base.yaml"
MAX_NODES = 20_000
"""Upper bound on the YAML nodes of one file after alias expansion (stops alias bombs)."""

KeyPath = tuple[str | int, ...]


@dataclass
class Source:
    """Where each key path of the merged document was written: path -> (file, line)."""

    lines: dict[KeyPath, tuple[str, int]] = field(default_factory=dict)

    def locate(self, path: KeyPath) -> tuple[str | None, int | None]:
        for end in range(len(path), -1, -1):
            hit = self.lines.get(tuple(path[:end]))
            if hit:
                return hit
        return None, None


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


def load_located(
    name: str, project_dir: Path, *, check_lifecycle: bool = True
) -> tuple[EnvironmentConfig, dict[str, Any], Source]:
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
    config = _resolve_paths(config, Path(project_dir))
    if check_lifecycle:
        _refuse_retired(config, source, env_display)
    return config, merged, source


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


def read_yaml(path: Path, source: Source, display: str) -> dict[str, Any]:
    """Parse one YAML file into plain Python data, recording the line of every key."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", file=display) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}): save it as UTF-8",
            file=display,
            line=line,
        ) from None
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mark_line: int | None = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        duplicate = re.match(r'found duplicate key "(.*?)" with value', problem or "")
        if duplicate:
            # ruamel quotes both values in its message: never echo them (one may be a pasted secret)
            problem = (
                f"duplicate key {duplicate.group(1)!r}: each key may appear once per mapping; "
                "remove or merge the duplicate"
            )
        raise ConfigError(f"YAML error: {problem}", file=display, line=mark_line) from None
    except YAMLError as exc:
        raise ConfigError(f"YAML error: {str(exc).splitlines()[0]}", file=display) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(
            f"the top level is a {_kind(document)}, not a mapping: start the file with keys such as `azure:`",
            file=display,
            line=1,
        )
    budget = [MAX_NODES]
    plain: dict[str, Any] = _plain(document, (), source, display, budget)  # a mapping in, a mapping out
    return plain


def _plain(node: Any, path: KeyPath, source: Source, display: str, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(
            f"the document expands to more than {MAX_NODES} nodes (an alias bomb?): "
            "remove the nested anchors and aliases",
            file=display,
        )
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():
            key_path = (*path, key)
            line = _line(node, key, is_key=True)
            if line is not None:
                source.lines[key_path] = (display, line)
            if not isinstance(key, str):
                raise ConfigError(
                    f"a key is a {_kind(key)}: keys must be strings",
                    file=display,
                    key=format_path(path) or None,
                    line=line,
                )
            result[key] = _plain(value, key_path, source, display, budget)
        return result
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            line = _line(node, index, is_key=False)
            if line is not None:
                source.lines[(*path, index)] = (display, line)
            items.append(_plain(value, (*path, index), source, display, budget))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node  # dates and timestamps: pydantic validates them


def _line(node: Any, key: Any, *, is_key: bool) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        line: int = (lc.key(key) if is_key else lc.item(key))[0] + 1  # ruamel's LineCol is untyped
        return line
    except (KeyError, IndexError, TypeError):
        return None


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Overlay onto base: mappings merge recursively; lists and scalars replace."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _kind(value: Any) -> str:
    for kind, name in ((bool, "boolean"), (list, "list"), (str, "string"), ((int, float), "number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


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
