"""The heartbeat ends a lost wake-up within a beat; a program that makes no progress fails instead of hanging."""

from __future__ import annotations

import asyncio
import threading

import pytest

from llmops_infra.offline import loop_watch


def test_a_wakeup_lost_by_another_thread_is_picked_up_by_the_heartbeat():
    loop = asyncio.new_event_loop()
    try:
        done = loop.create_future()

        def resolve_from_a_thread_without_waking_the_loop() -> None:
            # call_soon (not call_soon_threadsafe) from another thread queues the callback but does not
            # wake a loop blocked in select: without a timer, the loop would wait forever
            threading.Timer(0.2, lambda: loop.call_soon(done.set_result, "resolved")).start()

        async def program() -> str:
            resolve_from_a_thread_without_waking_the_loop()
            return await done

        with loop_watch.watched(loop, progress=lambda: 0):
            assert loop.run_until_complete(asyncio.wait_for(program(), timeout=30)) == "resolved"
    finally:
        loop.close()


def test_a_program_without_progress_fails_with_a_clear_error(monkeypatch):
    monkeypatch.setenv(loop_watch.STALL_ENV, "0.3")
    loop = asyncio.new_event_loop()
    try:
        never = loop.create_future()
        with pytest.raises(loop_watch.SynthesisStalled) as err, loop_watch.watched(loop, progress=lambda: 7):
            loop.run_until_complete(never)
        assert "registered no resource for 0.3 s" in str(err.value) and loop_watch.STALL_ENV in str(err.value)
    finally:
        never.cancel()
        loop.close()


def test_progress_keeps_the_program_alive(monkeypatch):
    monkeypatch.setenv(loop_watch.STALL_ENV, "0.3")
    loop = asyncio.new_event_loop()
    count = [0]

    async def steady() -> int:
        for _ in range(8):  # 0.8 s in all, never 0.3 s without progress
            await asyncio.sleep(0.1)
            count[0] += 1
        return count[0]

    try:
        with loop_watch.watched(loop, progress=lambda: count[0]):
            assert loop.run_until_complete(steady()) == 8
    finally:
        loop.close()


@pytest.mark.parametrize(("raw", "expected"), [("", 300.0), ("12", 12.0), ("abc", 300.0), ("-1", 300.0)])
def test_stall_limit_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv(loop_watch.STALL_ENV, raw)
    assert loop_watch.stall_seconds() == expected
