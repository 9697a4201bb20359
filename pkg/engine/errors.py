"""Engine failures -> one clear message with the fix, and the exit code (never a traceback).

The Automation API raises `CommandError` subclasses carrying the CLI's stdout and stderr. The
text is matched against the failures people meet in practice: a locked stack, an interrupted
update with pending operations, a soft-deleted Key Vault or Cognitive Services account holding a
name, a missing passphrase, missing credentials, a missing provider plugin, a program error,
mandatory policy violations. Messages quote only the engine's `error:` lines and lock metadata.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from llmops_infra.errors import ConfigError, EngineError, LlmopsError, PolicyViolationError

SOFT_DELETE_MARKERS = (
    "VaultAlreadyExists",
    "soft delete",
    "soft-delete",
    "softdelete",
    "FlagMustBeSetForRestore",
    "CustomDomainInUse",
)
_LOCK_RE = re.compile(
    r"(?P<path>\S*\.pulumi/locks/\S+?\.json)(?:\?\S*)?\s*:\s*created by "
    r"(?P<who>(?P<user>[^@\s]+)@(?P<host>\S+)) \(pid (?P<pid>\d+)\) at (?P<when>\S+)"
)
_CODE_RE = re.compile(r"\bcode: (-?\d+)")
_PENDING_RE = re.compile(r"\*\s*(?P<urn>urn:pulumi:\S+),\s*interrupted while (?P<what>\w+)")
_NAME_RE = re.compile(r"(?:vaults|accounts)/(?P<name>[A-Za-z0-9-]+)")


class StackLockedError(EngineError):
    """Another update holds the stack's lock."""


class PendingOperationsError(EngineError):
    """An earlier update was interrupted and left operations pending in the state."""


class SoftDeletedNameError(EngineError):
    """A soft-deleted Key Vault or Cognitive Services account holds a name the estate needs."""


def _text(exc: Any) -> str:
    return f"{getattr(exc, 'stdout', '') or ''}\n{getattr(exc, 'stderr', '') or ''}\n{exc}"


def error_lines(text: str, limit: int = 6) -> list[str]:
    """The engine's own `error:` lines (deduplicated, in order), the part worth quoting."""
    seen: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.lower().startswith("error:") and line not in seen:
            seen.append(line)
    return seen[:limit]


def _alive(pid: int) -> bool:
    """Whether `pid` runs on this host; a killed process not yet reaped (a zombie) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with Path(f"/proc/{pid}/stat").open(encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def locked_message(text: str, stack: str) -> str:
    lock = _LOCK_RE.search(text)
    holder, state = "", "another update is running. Wait for it to finish; if it crashed"
    where = "delete the lock under .pulumi/locks/organization/<project>/<stack>/ in the backend"
    if lock:
        holder = f" by {lock['who']} (pid {lock['pid']}) since {lock['when']}"
        where = f"delete the lock file {lock['path'].removeprefix('file://')}"
        if lock["host"] == socket.gethostname() and not _alive(int(lock["pid"])):
            state = "that process is gone, so the lock is stale (an update crashed or was killed)"
    return (
        f"stack {stack} is locked{holder}: {state}, release the lock with `llmops-infra cancel "
        f"{stack}` (the same as `pulumi cancel`) or {where}; then run `llmops-infra refresh {stack} "
        "--clear-pending-creates` to reconcile the state with Azure"
    )


def killed_message(code: int, stack: str) -> str:
    return (
        f"the Pulumi CLI was killed (signal {-code}) while working on {stack}: the stack is probably "
        f"still locked and may hold pending operations. Release the lock with `llmops-infra cancel "
        f"{stack}`, then reconcile with `llmops-infra refresh {stack} --clear-pending-creates`"
    )


def pending_message(text: str, stack: str) -> str:
    pending = [f"{m['urn'].rsplit('::', 1)[-1]} ({m['what']})" for m in _PENDING_RE.finditer(text)]
    which = f": {', '.join(pending[:5])}" if pending else ""
    return (
        f"an earlier update of {stack} was interrupted and left pending operations{which}. The cloud "
        "may hold resources the state does not know. Recover with `llmops-infra refresh "
        f"{stack} --clear-pending-creates` (the same as `pulumi refresh --clear-pending-creates`; if the "
        f"stack is still locked by the crashed update, run `llmops-infra cancel {stack}` first), then "
        "check for orphaned resources in Azure; or fix the state by hand with `pulumi stack export "
        "--file state.json`, remove the pending_operations entries, `pulumi stack import --file "
        "state.json`"
    )


def soft_delete_message(text: str) -> str:
    name = _NAME_RE.search(text)
    what = f" {name['name']}" if name else ""
    return (
        "a soft-deleted Key Vault or Cognitive Services account" + what + " still holds the name. "
        "Recover it: `az keyvault recover --name <vault>` or `az cognitiveservices account recover "
        "--name <account> --resource-group <rg> --location <region>`, then run up again (it is "
        "adopted); or, if its data may go, purge it: `az keyvault purge --name <vault>` / `az "
        "cognitiveservices account purge ...` (impossible while purge protection holds it: then "
        "choose another name or wait for the retention period)"
    )


def translate(exc: BaseException, stack: str) -> LlmopsError | None:
    """The known error for an engine failure, or None if it is not an engine failure."""
    from pulumi.automation import errors as auto_errors

    if isinstance(exc, auto_errors.InvalidVersionError):
        return EngineError(f"the Pulumi CLI is not usable with this SDK: {exc}")
    if not isinstance(exc, auto_errors.CommandError):
        return None
    text = _text(exc)
    lowered = text.lower()
    if isinstance(exc, auto_errors.ConcurrentUpdateError) or "currently locked by" in lowered:
        return StackLockedError(locked_message(text, stack))
    code = _CODE_RE.search(text)
    if code and int(code.group(1)) < 0:
        return EngineError(killed_message(int(code.group(1)), stack))
    if "pending operations" in lowered or "interrupted while" in lowered:
        return PendingOperationsError(pending_message(text, stack))
    if any(marker.lower() in lowered for marker in SOFT_DELETE_MARKERS):
        return SoftDeletedNameError(soft_delete_message(text))
    if "passphrase must be set" in lowered or "pulumi_config_passphrase" in lowered:
        return ConfigError(
            "the stack's secrets use a passphrase and none was given: export "
            "PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE, outside the repository)"
        )
    if "incorrect passphrase" in lowered:
        return ConfigError(
            "PULUMI_CONFIG_PASSPHRASE is not the passphrase this stack was created with: "
            "use the stack's passphrase from your secret store"
        )
    if isinstance(exc, auto_errors.StackNotFoundError):
        return ConfigError(
            f"stack {stack} does not exist in this backend yet: run `llmops-infra up {stack}` "
            "first, or check state.url in the environment file"
        )
    if "mandatory policy violation" in lowered or (
        "policy" in lowered and "violation" in lowered and "mandatory" in lowered
    ):
        return PolicyViolationError(
            "the engine's policy pack reported mandatory violations: nothing was "
            "changed. Fix the resources it names (see the policy events above)"
        )
    if (
        "no resource plugin" in lowered
        or "could not find plugin" in lowered
        or "failed to load plugin" in lowered
        or "install resource plugin" in lowered
        or "failed to download plugin" in lowered
    ):
        found = re.search(r"plugin '?(?:pulumi-resource-)?([a-z0-9-]+)'?(?: at version v?([0-9][0-9.]*))?", text)
        name = found.group(1) if found else "<provider>"
        version = (found.group(2) if found else None) or "<version>"
        return EngineError(
            f"the provider plugin {name} v{version} is not installed and could not be downloaded: "
            f"`pulumi plugin install resource {name} {version}` where there is internet, or offline "
            f"`pulumi plugin install resource {name} {version} --file <release archive>` (plugins "
            "live in $PULUMI_HOME/plugins, default ~/.pulumi/plugins)"
        )
    if (
        "az login" in lowered
        or "aadsts" in lowered
        or "defaultazurecredential failed" in lowered
        or "authentication failed" in lowered
    ):
        from llmops_infra.engine.azure_access import CREDENTIALS_FIX

        return EngineError(f"Azure refused the engine's credentials: {CREDENTIALS_FIX}")
    if "quotaexceeded" in lowered or "exceeding approved" in lowered:
        return EngineError(
            "Azure quota exceeded: "
            + "; ".join(error_lines(text, 3))
            + ". Request a quota increase (portal: Quotas) or lower the pool sizes"
        )
    lines = (
        error_lines(text) or [ln.strip() for ln in (getattr(exc, "stderr", "") or "").splitlines() if ln.strip()][-4:]
    )
    detail = "\n  ".join(lines) if lines else f"the Pulumi CLI exited with an error ({type(exc).__name__})"
    return EngineError(f"the engine failed on stack {stack}:\n  {detail}")


@contextmanager
def engine_errors(stack: str) -> Iterator[None]:
    """Run engine calls; turn known failures into `LlmopsError`s, let bugs keep their traceback."""
    try:
        yield
    except LlmopsError:
        raise
    except FileNotFoundError as exc:
        from llmops_infra.engine.pulumi_cli import INSTALL_HINT, EngineMissingError

        raise EngineMissingError(f"cannot run {exc.filename or 'pulumi'}: {INSTALL_HINT}") from None
    except Exception as exc:
        known = translate(exc, stack)
        if known is None:
            raise
        raise known from None


def pending_operations(stack: Any) -> list[dict[str, str]]:
    """Operations an interrupted update left in the state: [{urn, type}] (empty when clean)."""
    deployment = stack.export_stack().deployment or {}
    return [
        {"urn": (op.get("resource") or {}).get("urn", "?"), "type": op.get("type", "?")}
        for op in deployment.get("pending_operations") or []
    ]


def refuse_pending(stack: Any, name: str) -> None:
    """The engine only warns about pending operations and goes on; an estate must not (duplicates)."""
    pending = pending_operations(stack)
    if pending:
        text = "\n".join(f"* {p['urn']}, interrupted while {p['type']}" for p in pending)
        raise PendingOperationsError(pending_message(text, name))
