"""Engine events -> progress: what is done, in flight and failed, and plain JSON records.

The Automation API calls `on_event` from a gRPC worker thread for every engine event. The
`Progress` tracker folds them into counters (under a lock) and turns each into a small JSON-safe
record for `--format json` pipelines. Records carry URNs, operations and property *names* only,
never property values, so secrets cannot leak through them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Listener = Callable[[dict[str, Any]], None]

# Operations that change nothing; everything else counts as a change (drift, for a refresh).
UNCHANGED_OPS = {"same", "read", "refresh"}
SUMMARY_KEYS = ("create", "update", "delete", "replace", "same")


def _op(metadata: Any) -> str:
    op = getattr(metadata, "op", "")
    return getattr(op, "value", str(op))


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


def changed_outputs(meta: Any) -> list[str]:
    """Names of the outputs whose values differ between the old and new state of a step.

    A refresh reports drift this way: the engine may mark the step `same` while the outputs
    it read from the cloud differ from the recorded ones. Internal keys (`__*`) are skipped.
    """
    old = getattr(getattr(meta, "old", None), "outputs", None)
    new = getattr(getattr(meta, "new", None), "outputs", None)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    keys = set(old) | set(new)
    return sorted(k for k in keys if not k.startswith("__") and old.get(k) != new.get(k))


def event_record(event: Any) -> dict[str, Any] | None:
    """A JSON-safe summary of one engine event, or None for events nobody needs downstream."""
    base = {"sequence": event.sequence, "timestamp": event.timestamp}
    if event.resource_pre_event is not None:
        meta = event.resource_pre_event.metadata
        return {
            **base,
            "event": "resource-pre",
            "op": _op(meta),
            "urn": meta.urn,
            "type": meta.type,
            "planning": bool(event.resource_pre_event.planning),
        }
    if event.res_outputs_event is not None:
        meta = event.res_outputs_event.metadata
        op = _op(meta)
        diffs = list(meta.diffs or [])
        if not diffs and op in UNCHANGED_OPS:
            diffs = changed_outputs(meta)
        return {**base, "event": "resource-done", "op": op, "urn": meta.urn, "type": meta.type, "diffs": diffs}
    if event.res_op_failed_event is not None:
        meta = event.res_op_failed_event.metadata
        return {
            **base,
            "event": "resource-failed",
            "op": _op(meta),
            "urn": meta.urn,
            "type": meta.type,
            "status": event.res_op_failed_event.status,
        }
    if event.diagnostic_event is not None:
        diag = event.diagnostic_event
        if diag.ephemeral or diag.severity not in {"error", "warning", "info#err"}:
            return None
        return {
            **base,
            "event": "diagnostic",
            "severity": diag.severity,
            "urn": diag.urn,
            "message": diag.message.strip(),
        }
    if event.policy_event is not None:
        pol = event.policy_event
        return {
            **base,
            "event": "policy",
            "policy": pol.policy_name,
            "pack": pol.policy_pack_name,
            "level": pol.enforcement_level,
            "urn": pol.resource_urn,
            "message": pol.message.strip(),
        }
    if event.summary_event is not None:
        summ = event.summary_event
        return {
            **base,
            "event": "summary",
            "changes": {str(getattr(k, "value", k)): v for k, v in summ.resource_changes.items()},
            "duration_seconds": summ.duration_seconds,
            "maybe_corrupt": summ.maybe_corrupt,
        }
    if event.cancel_event is not None:
        return {**base, "event": "cancel"}
    return None


@dataclass
class Progress:
    """Counters of one engine run, fed by `on_event` and read by the renderer."""

    operation: str
    listeners: list[Listener] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    in_flight: dict[str, str] = field(default_factory=dict)
    """urn -> op of the steps started and not finished yet."""
    done: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    """Each resource that changed (or drifted): urn, type, op, and the names of changed properties."""
    policy: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    engine_summary: dict[str, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_event(self, event: Any) -> None:
        record = event_record(event)
        if record is None:
            return
        with self._lock:
            self._fold(record)
        for listener in self.listeners:
            listener(record)

    def step(self, step: str, status: str, message: str) -> None:
        """A step of the run that is not an engine event (a stack starting, a bootstrap step):
        listeners get `{"event": "step", "step", "status", "message"}`."""
        record = {"event": "step", "step": step, "status": status, "message": message}
        for listener in self.listeners:
            listener(record)

    def note(self, message: str) -> None:
        self.step("note", "info", message)

    def _fold(self, record: dict[str, Any]) -> None:
        kind = record["event"]
        if kind == "resource-pre":
            self.in_flight[record["urn"]] = record["op"]
        elif kind == "resource-done":
            self.in_flight.pop(record["urn"], None)
            self.done[record["op"]] += 1
            if record["op"] not in UNCHANGED_OPS or record["diffs"]:
                change = {k: record[k] for k in ("urn", "type", "op", "diffs")}
                if change not in self.changes:  # a preview may report a step's outputs twice
                    self.changes.append(change)
        elif kind == "resource-failed":
            self.in_flight.pop(record["urn"], None)
            self.failed.append(record["urn"])
        elif kind == "policy":
            self.policy.append(record)
        elif kind == "diagnostic" and record["severity"] == "error":
            self.errors.append(record["message"])
        elif kind == "summary":
            self.engine_summary = record

    def snapshot(self) -> dict[str, Any]:
        """Counts for a progress line: resources done, in flight and failed."""
        with self._lock:
            return {
                "done": sum(self.done.values()),
                "in_flight": len(self.in_flight),
                "failed": len(self.failed),
                "current": [_name(u) for u in list(self.in_flight)[:3]],
            }

    def summary(self, changes: dict[str, int] | None = None) -> dict[str, Any]:
        """created, updated, deleted, replaced, unchanged and the duration of the run.

        `changes` is the engine's own count (the result's summary) when there is one; the
        counters folded from events serve otherwise.
        """
        counts = dict(changes or {})
        if not counts and self.engine_summary:
            counts = self.engine_summary["changes"]
        if not counts:
            counts = dict(self.done)
        return {
            "operation": self.operation,
            "created": int(counts.get("create", 0)),
            "updated": int(counts.get("update", 0)),
            "deleted": int(counts.get("delete", 0)),
            "replaced": int(counts.get("replace", 0)),
            "unchanged": int(counts.get("same", 0)),
            "failed": len(self.failed),
            "drifted": sum(1 for c in self.changes if c["op"] in UNCHANGED_OPS),
            "duration_seconds": round(time.monotonic() - self.started, 1),
        }
