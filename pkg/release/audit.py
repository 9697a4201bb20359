"""The audit trail of releases, promotions, rollbacks and approvals, and the approval records."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from llmops_infra.errors import ConfigError, LlmopsError, clean
from llmops_infra.files import PRIVATE, append_line, check_writable, write_atomic
from llmops_infra.release.manifest import Manifest, ManifestError

if TYPE_CHECKING:
    from llmops_infra.release.artifacts import Releases

from llmops_infra.engine.approvals import MAX_APPROVAL_HOURS as MAX_APPROVAL_HOURS
from llmops_infra.engine.approvals import MAX_NAME as MAX_NAME

AUDIT_FILE = ".llmops/audit.jsonl"


class audited:
    """Append one audit record when the block ends, whatever the result."""

    def __init__(
        self,
        action: str,
        env: str,
        project_dir: Path,
        releases: Releases,
        *,
        at: datetime,
        actor: str | None,
        **extra: Any,
    ) -> None:
        from llmops_infra.release.manifest import current_actor

        self.project_dir, self.releases = Path(project_dir), releases
        self.record: dict[str, Any] = {
            "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "by": actor or current_actor(),
            "action": action,
            "environment": env,
            **extra,
        }

    def __enter__(self) -> dict[str, Any]:
        # the audit record must be writable before anything is stored: a read-only project fails here,
        # not after the manifest was recorded
        check_writable(self.project_dir / AUDIT_FILE, root=self.project_dir)
        return self.record

    def __exit__(self, exc_type: Any, exc: BaseException | None, _tb: Any) -> Literal[False]:
        if exc is not None:
            refused = isinstance(exc, (LlmopsError, ManifestError))
            self.record["result"] = "refused" if refused else "error"
            # a code, never the message: messages may quote what a person typed (or pasted)
            self.record["reason"] = type(exc).__name__
        append_audit(self.project_dir, self.record, self.releases)
        return False


def record_approval(
    env: str,
    project_dir: Path,
    manifest: Manifest,
    by: str,
    *,
    hours: float = 24,
    now: datetime | None = None,
    releases: Releases | None = None,
) -> Path:
    """Write `.llmops/approvals/<env>.json` (read by `stacks.gates.has_approval`) for one manifest."""
    from datetime import timedelta

    from llmops_infra.config.loader import require_environment
    from llmops_infra.engine.approvals import Approval, approval_path

    require_environment(env, project_dir)  # the name becomes a file name: "../x" must not escape approvals/
    if not by.strip():
        raise ConfigError("say who approves: --by NAME", key="--by")
    if clean(by) != by or len(by) > MAX_NAME:
        raise ConfigError(
            f"the approver's name has control characters or is longer than {MAX_NAME} characters: "
            "give a plain name or e-mail address",
            key="--by",
        )
    if not (math.isfinite(hours) and 0 < hours <= MAX_APPROVAL_HOURS):
        raise ConfigError(
            f"an approval is valid for more than 0 and at most {MAX_APPROVAL_HOURS} hours: "
            "give --valid-hours within that range",
            key="--valid-hours",
        )
    if by.strip().casefold() == manifest.created_by.strip().casefold():
        raise ConfigError(
            f"manifest {manifest.short_id} was recorded by {manifest.created_by}: its author cannot approve it; "
            "someone else approves",
            key="--by",
        )
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    # the schema every reader checks (engine.approvals.Approval): what is written is what reads back
    record = Approval(
        environment=env,
        manifest=manifest.id,
        approved_by=by.strip(),
        approved_at=moment,
        expires_at=moment + timedelta(seconds=round(hours * 3600)),
        release_author=manifest.created_by[:MAX_NAME],
    )
    path = approval_path(env, Path(project_dir))
    check_writable(Path(project_dir) / AUDIT_FILE, root=Path(project_dir))  # both records or neither
    # atomic (a reader never sees half an approval; a kill mid-write keeps the old one), private, no links
    write_atomic(path, record.to_json(), root=Path(project_dir), mode=PRIVATE)
    append_audit(
        project_dir,
        {
            "at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "by": record.approved_by,
            "action": "approve",
            "environment": env,
            "manifest": manifest.id,
            "result": "recorded",
            "expires_at": record.expires_at.isoformat(),
        },
        releases,
    )
    return path


def append_audit(project_dir: Path, record: dict[str, Any], releases: Releases | None = None) -> None:
    """One JSON line in `.llmops/audit.jsonl`, and one object in the artifact store."""
    append_line(Path(project_dir) / AUDIT_FILE, json.dumps(record, sort_keys=True), root=Path(project_dir))
    if releases is not None:
        releases.append_audit(record)


def read_audit(project_dir: Path) -> list[dict[str, Any]]:
    path = Path(project_dir) / AUDIT_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
