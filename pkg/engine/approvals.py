"""Approval records (`.llmops/approvals/<env>.json`): their schema, and whether one approves a deployment.

An approval names exactly one release manifest (by digest), who approved it, when, and until
when: the expiry is required and at most `MAX_APPROVAL_HOURS` after the approval. Who approves
is neither the author of the release nor the person or pipeline that deploys it. A record that
does not read back into `Approval` (a hand-written file with a list as `approved_by`, no expiry,
an unknown key) approves nothing, and the reason never quotes the record's values.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from llmops_infra.errors import clean

APPROVALS = ".llmops/approvals"
MAX_APPROVAL_HOURS = 24 * 7
"""An approval lasts at most a week: a release approved for longer is not the release deployed."""
MAX_NAME = 200
MAX_RECORD_BYTES = 16_384
DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"
ACTOR_VARIABLES = ("LLMOPS_ACTOR", "GITHUB_ACTOR", "BUILD_REQUESTEDFOR", "USER")


def current_actor(environ: Mapping[str, str] | None = None) -> str:
    """Who runs this: the CI's requester, else the local user."""
    variables = os.environ if environ is None else environ
    for variable in ACTOR_VARIABLES:
        if variables.get(variable):
            return variables[variable]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Approval(BaseModel):
    """One approval of one manifest for one environment."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    environment: str = Field(min_length=1, max_length=64)
    manifest: str = Field(pattern=DIGEST_PATTERN, description="The approved release manifest's id.")
    approved_by: str = Field(max_length=MAX_NAME)
    approved_at: datetime
    expires_at: datetime
    release_author: str | None = Field(None, max_length=MAX_NAME, description="created_by of the manifest.")

    @field_validator("approved_by")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("does not say who approved (approved_by)")
        if clean(value) != value:
            raise ValueError("approved_by has control characters")
        return value

    @field_validator("approved_at", "expires_at", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> datetime:
        moment: datetime | None = value if isinstance(value, datetime) else None
        if moment is None and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
        if moment is None:
            raise ValueError("approved_at / expires_at are not ISO-8601 timestamps")
        if moment.tzinfo is None:
            raise ValueError("timestamps need a time zone (e.g. 2026-11-22T03:00:00Z)")
        return moment

    @model_validator(mode="after")
    def _bounded(self) -> Approval:
        if self.expires_at <= self.approved_at:
            raise ValueError("expires_at is not after approved_at")
        if self.expires_at - self.approved_at > timedelta(hours=MAX_APPROVAL_HOURS):
            raise ValueError(f"the approval is valid for more than {MAX_APPROVAL_HOURS} hours")
        return self

    def to_json(self) -> str:
        data = self.model_dump(mode="json", exclude_none=True)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def approval_path(env: str, project_dir: Path) -> Path:
    return Path(project_dir) / APPROVALS / f"{env}.json"


def read_approval(env: str, project_dir: Path) -> tuple[Approval | None, str | None]:
    """(the approval record of ENV, None), or (None, why it approves nothing)."""
    from llmops_infra.errors import ConfigError
    from llmops_infra.files import read_regular

    path = approval_path(env, project_dir)
    if not path.is_file():
        return None, f"no approval record {APPROVALS}/{env}.json"
    try:
        raw = read_regular(path, limit=MAX_RECORD_BYTES, display=path.name)
        data = json.loads(raw)
    except ConfigError as exc:
        return None, str(exc)
    except ValueError:
        return None, f"{path.name} is not readable JSON"
    if not isinstance(data, dict):
        return None, f"{path.name} is not a JSON object"
    try:
        return Approval.model_validate(data), None
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        return None, f"{path.name}: " + (f"{where}: {message}" if where else message)


def approval_problem(
    env: str,
    project_dir: Path,
    *,
    manifest: str | None = None,
    now: datetime | None = None,
    deployer: str | None = None,
    author: str | None = None,
) -> str | None:
    """Why ENV's approval record does not approve this deployment (None: it does).

    `manifest`: the id deployed (the record must name it); `deployer`: who deploys, `author`: who
    recorded the release; neither may be the approver."""
    record, problem = read_approval(env, project_dir)
    if record is None:
        return problem
    name = approval_path(env, project_dir).name
    moment = now or datetime.now(UTC)
    if record.environment != env:
        return f"{name} approves environment {clean(record.environment)[:64]!r}, not {env!r}"
    if record.approved_at > moment:
        return f"{name}: approved_at lies in the future"
    if record.expires_at <= moment:
        return f"the approval in {name} expired at {record.expires_at.isoformat()}"
    if manifest is not None and record.manifest != manifest:
        return f"{name} approves manifest {record.manifest}, not {manifest}"
    same = {record.approved_by.strip().casefold()}
    if deployer is not None and deployer.strip().casefold() in same:
        return f"{name} was approved by the deployer ({clean(deployer)}): someone else must approve"
    for made_by in (author, record.release_author):
        if made_by is not None and made_by.strip().casefold() in same:
            return f"{name} was approved by the release's author ({clean(made_by)}): someone else must approve"
    return None


def has_approval(env: str, project_dir: Path, *, manifest: str | None = None, deployer: str | None = None) -> bool:
    """True when a valid, unexpired approval record for ENV exists (naming `manifest` when given)."""
    return approval_problem(env, project_dir, manifest=manifest, deployer=deployer) is None
