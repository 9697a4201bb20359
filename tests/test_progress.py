"""Engine events -> counters, changes, drift and JSON records (shapes as the engine sends them)."""

from __future__ import annotations

import json

from pulumi.automation.events import EngineEvent

from llmops_infra.engine.progress import Progress, changed_outputs, event_record

URN = "urn:pulumi:dev::llmops::llmops:test:Box::box"


def ev(seq: int, **payload) -> EngineEvent:
    return EngineEvent.from_json({"sequence": seq, "timestamp": 1700000000 + seq, **payload})


def step(op: str, urn: str = URN, **meta) -> dict:
    return {"metadata": {"op": op, "urn": urn, "type": "llmops:test:Box", "provider": "", **meta}}


def test_counters_follow_a_run():
    progress = Progress("up")
    progress.on_event(ev(1, resourcePreEvent=step("create")))
    progress.on_event(ev(2, resourcePreEvent=step("create", urn=URN + "2")))
    assert progress.snapshot() == {"done": 0, "in_flight": 2, "failed": 0, "current": ["box", "box2"]}
    progress.on_event(ev(3, resOutputsEvent=step("create")))
    progress.on_event(ev(4, resOpFailedEvent={**step("create", urn=URN + "2"), "status": 1, "steps": 1}))
    snap = progress.snapshot()
    assert (snap["done"], snap["in_flight"], snap["failed"]) == (1, 0, 1)
    assert progress.failed == [URN + "2"]
    assert progress.changes == [{"urn": URN, "type": "llmops:test:Box", "op": "create", "diffs": []}]


def test_summary_prefers_the_engine_counts():
    progress = Progress("up")
    progress.on_event(ev(1, resOutputsEvent=step("create")))
    summary = progress.summary({"create": 3, "same": 2, "update": 1})
    assert {k: summary[k] for k in ("created", "updated", "deleted", "unchanged", "failed")} == {
        "created": 3,
        "updated": 1,
        "deleted": 0,
        "unchanged": 2,
        "failed": 0,
    }
    assert summary["operation"] == "up" and summary["duration_seconds"] >= 0


def test_summary_falls_back_to_the_summary_event_then_to_the_counters():
    progress = Progress("destroy")
    progress.on_event(ev(1, resOutputsEvent=step("delete")))
    assert progress.summary()["deleted"] == 1
    progress.on_event(ev(2, summaryEvent={"resourceChanges": {"delete": 4}, "durationSeconds": 2}))
    assert progress.summary()["deleted"] == 4


def test_refresh_drift_is_read_from_old_and_new_outputs():
    old = {"urn": URN, "type": "t", "outputs": {"size": 5, "path": "/x", "__provider": "a"}}
    new = {"urn": URN, "type": "t", "outputs": {"size": 9, "path": "/x", "__provider": "b"}}
    progress = Progress("refresh")
    progress.on_event(ev(1, resOutputsEvent=step("same", old=old, new=new)))
    assert progress.changes == [{"urn": URN, "type": "llmops:test:Box", "op": "same", "diffs": ["size"]}]
    assert progress.summary({"same": 1})["drifted"] == 1


def test_unchanged_resources_are_not_changes():
    progress = Progress("preview")
    progress.on_event(ev(1, resOutputsEvent=step("same")))
    assert progress.changes == [] and progress.done["same"] == 1


def test_policy_and_error_diagnostics_are_kept():
    progress = Progress("preview")
    progress.on_event(
        ev(
            1,
            policyEvent={
                "message": "purge protection is off",
                "policyName": "kv-01",
                "policyPackName": "llmops",
                "enforcementLevel": "mandatory",
                "resourceUrn": URN,
            },
        )
    )
    progress.on_event(ev(2, diagnosticEvent={"message": "boom\n", "severity": "error"}))
    progress.on_event(ev(3, diagnosticEvent={"message": "debug chatter", "severity": "debug"}))
    assert [p["policy"] for p in progress.policy] == ["kv-01"]
    assert progress.policy[0]["level"] == "mandatory"
    assert progress.errors == ["boom"]


def test_records_are_json_and_carry_no_property_values():
    secret_outputs = {"outputs": {"password": "hunter2"}}
    record = event_record(ev(1, resOutputsEvent=step("update", diffs=["password"], new=secret_outputs)))
    text = json.dumps(record)
    assert record["diffs"] == ["password"] and "hunter2" not in text
    assert event_record(ev(2, stdoutEvent={"message": "x", "color": "never"})) is None
    assert event_record(ev(3, cancelEvent={}))["event"] == "cancel"


def test_listeners_receive_every_record():
    seen: list[str] = []
    progress = Progress("up", listeners=[lambda r: seen.append(r["event"])])
    progress.on_event(ev(1, resourcePreEvent=step("create")))
    progress.on_event(ev(2, resOutputsEvent=step("create")))
    assert seen == ["resource-pre", "resource-done"]


def test_changed_outputs_without_both_states_is_empty():
    class Meta:
        old = None
        new = None

    assert changed_outputs(Meta()) == []
