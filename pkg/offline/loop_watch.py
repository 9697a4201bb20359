"""A heartbeat on the event loop while a program is synthesized, and a stall guard.

Twice the whole test suite hung in one plan: the main thread waited in the loop's `select` with no
timeout, nothing scheduled, and every pool thread idle (py-spy; docs/performance.md). That is the
picture of a wake-up lost between a worker thread and the loop: a callback queued without waking the
selector waits until some other event arrives, and in a mock program none does. The trigger was not
pinned down (it needed the whole suite, on a loaded machine). The heartbeat, a timer every 0.1 s,
bounds any such wait to one beat. If the program registers nothing for `LLMOPS_SYNTH_STALL_SECONDS`
(default 300), the loop is stopped and the plan fails with a clear error instead of hanging a CI job.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from llmops_infra.errors import LlmopsError

BEAT_SECONDS = 0.1
STALL_ENV = "LLMOPS_SYNTH_STALL_SECONDS"
DEFAULT_STALL_SECONDS = 300.0


class SynthesisStalled(LlmopsError):
    """A program made no progress for the stall limit (a hang inside the Pulumi runtime)."""


def stall_seconds() -> float:
    raw = os.environ.get(STALL_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_STALL_SECONDS
    except ValueError:
        value = DEFAULT_STALL_SECONDS
    return value if value > 0 else DEFAULT_STALL_SECONDS


class _Watch:
    def __init__(self, loop: asyncio.AbstractEventLoop, progress: Callable[[], int], limit: float) -> None:
        self.loop, self.progress, self.limit = loop, progress, limit
        self.seen, self.since, self.stalled = progress(), time.monotonic(), False
        self.handle: asyncio.TimerHandle | None = loop.call_later(BEAT_SECONDS, self.beat)

    def beat(self) -> None:
        now, count = time.monotonic(), self.progress()
        if count != self.seen:
            self.seen, self.since = count, now
        elif now - self.since > self.limit:
            self.stalled, self.handle = True, None
            self.loop.stop()  # run_until_complete raises RuntimeError; `watched` turns it into SynthesisStalled
            return
        self.handle = self.loop.call_later(BEAT_SECONDS, self.beat)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


@contextmanager
def watched(loop: asyncio.AbstractEventLoop, progress: Callable[[], int]) -> Iterator[None]:
    """Beat on `loop` while the block runs; stop it when `progress()` stays the same for the stall limit."""
    limit = stall_seconds()
    watch = _Watch(loop, progress, limit)
    try:
        yield
    except RuntimeError as error:
        if watch.stalled:
            raise SynthesisStalled(
                f"offline synthesis registered no resource for {limit:g} s and was stopped (a hang in the Pulumi "
                f"runtime): run the command again; if it repeats, `py-spy dump --pid <pid>` of the process shows "
                f"where it waits (raise the limit with {STALL_ENV})"
            ) from error
        raise
    finally:
        watch.cancel()
