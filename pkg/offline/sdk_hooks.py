"""Every private Pulumi SDK internal that synthesis relies on, in one place.

Synthesis runs a program in-process under the SDK's mock monitor, which the SDK supports for
unit tests (`pulumi.runtime.set_mocks`), but planning one environment after another in the same
process, and skipping per-registration stack traces, reach into internals the SDK does not
promise to keep. They are all named here; `check()` verifies that the installed SDK still has
each of them and says which one is gone. pyproject.toml pins the SDK range these were tested
with (tests/test_sdk_hooks.py runs `check()`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from pulumi.runtime import mocks as _mocks
from pulumi.runtime import resource as _resource
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime import stack as _stack
from pulumi.runtime import sync_await as _sync

from llmops_infra.errors import LlmopsError
from llmops_infra.offline import loop_watch

HOOKS: dict[str, tuple[object, str]] = {
    "pulumi.runtime.settings.ROOT": (_settings, "ROOT"),
    "pulumi.runtime.settings.SETTINGS": (_settings, "SETTINGS"),
    "pulumi.runtime.settings.get_root_resource": (_settings, "get_root_resource"),
    "pulumi.runtime.resource._get_stack_trace": (_resource, "_get_stack_trace"),
    "pulumi.runtime.sync_await._sync_await": (_sync, "_sync_await"),
    "pulumi.runtime.sync_await._ensure_event_loop": (_sync, "_ensure_event_loop"),
    "pulumi.runtime.stack.run_pulumi_func": (_stack, "run_pulumi_func"),
    "pulumi.runtime.mocks.MockMonitor": (_mocks, "MockMonitor"),
    "pulumi.runtime.rpc.deserialize_properties": (_rpc, "deserialize_properties"),
    "pulumi.runtime.rpc.is_rpc_secret": (_rpc, "is_rpc_secret"),
}


class SdkHookMissing(LlmopsError):
    """The installed Pulumi SDK lacks an internal that offline synthesis needs."""


def check() -> None:
    """Raise `SdkHookMissing` naming every hook the installed SDK no longer has."""
    from llmops_infra.offline import lean_outputs

    hooks = {**HOOKS, **lean_outputs.HOOKS}
    missing = [name for name, (module, attr) in hooks.items() if not hasattr(module, attr)]
    if missing:
        raise SdkHookMissing(
            f"the installed pulumi SDK {metadata.version('pulumi')} lacks {', '.join(missing)}, "
            "which offline planning uses: install the pulumi version pinned in llmops-infra's "
            "pyproject.toml, or update llmops_infra/offline/sdk_hooks.py for the new SDK"
        )
    changed = lean_outputs.mismatches()
    if changed:
        raise SdkHookMissing(
            f"the installed pulumi SDK {metadata.version('pulumi')} changed what offline planning replaces: "
            f"{'; '.join(changed)}: update llmops_infra/offline/lean_outputs.py for the new SDK"
        )
    settings = _settings.SETTINGS
    for attr in ("rpc_manager", "outputs"):
        if not hasattr(settings, attr):
            raise SdkHookMissing(
                f"pulumi.runtime.settings.SETTINGS has no {attr}: see llmops_infra/offline/sdk_hooks.py"
            )


MockMonitor = _mocks.MockMonitor
deserialize_properties = _rpc.deserialize_properties
is_rpc_secret = _rpc.is_rpc_secret


def reset_runtime() -> None:
    """Forget the previous program's root stack, pending RPCs and stack outputs."""
    _settings.ROOT.set(None)


def clear_pending() -> None:
    _settings.SETTINGS.rpc_manager.clear()
    _settings.SETTINGS.outputs.clear()


def root_resource() -> Any:
    return _settings.get_root_resource()


Origin = Callable[[], tuple[str, int] | None]
"""Where the resource being constructed comes from, as (uri, line): asked at each constructor call."""


@contextmanager
def live_thread_pool() -> Iterator[None]:
    """The thread's event loop (made if it has none) with a new default thread pool, for one program.

    Every registration of a program goes to the loop's default thread pool. A pool left over from
    earlier work can have lost its threads (a loop copied into a forked process keeps a pool whose
    bookkeeping counts threads that were not copied), and a program queued on it waits forever. The
    loop itself stays: futures made outside a program (tests, user code) are bound to it. The
    replaced pool is shut down without waiting; the new one stays as the loop's default afterwards.
    """
    loop = _sync._ensure_event_loop()  # type: ignore[no-untyped-call]  # the SDK helper is unannotated
    previous = getattr(loop, "_default_executor", None)
    loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="llmops-synth"))
    if isinstance(previous, ThreadPoolExecutor):
        previous.shutdown(wait=False)
    yield


def run_program(
    body: Callable[[], Coroutine[Any, Any, None]],
    *,
    stack_traces: bool,
    origin: Origin | None = None,
    progress: Callable[[], int] | None = None,
) -> None:
    """Run `body` as the SDK runs a stack program, to completion.

    Without `stack_traces`, registrations carry no full stack trace: a traceback.extract_stack
    per resource costs about a third of synthesis and means nothing in an offline plan. With
    `origin`, each registration's `sourcePosition` (the field the engine fills with the
    constructor's file and line) carries what `origin()` answers at the constructor call instead:
    a cheap, synchronous look-up (the registration itself runs later, on another thread). The loop
    beats while the program runs, and a program whose `progress` (a count that grows as it registers
    resources; without one, a constant) stays put for the stall limit fails (`loop_watch`).
    """
    saved = _resource._get_stack_trace
    if not stack_traces:
        _resource._get_stack_trace = _no_stack_trace if origin is None else _origin_trace(origin)
    try:
        loop = _sync._ensure_event_loop()  # type: ignore[no-untyped-call]  # the SDK helper is unannotated
        with loop_watch.watched(loop, progress or (lambda: 0)):
            _sync._sync_await(_stack.run_pulumi_func(body))
    finally:
        _resource._get_stack_trace = saved
        reset_runtime()
        clear_pending()  # a failed program's error must not fail the next one


def _no_stack_trace() -> Any:
    from pulumi.runtime.proto import source_pb2

    return source_pb2.StackTrace()


def _origin_trace(origin: Origin) -> Callable[[], Any]:
    from pulumi.runtime.proto import source_pb2

    def trace() -> Any:
        found = origin()
        if found is None:
            return source_pb2.StackTrace()
        uri, line = found
        position = source_pb2.SourcePosition(uri=uri, line=line)
        return source_pb2.StackTrace(frames=[source_pb2.StackFrame(pc=position)])

    return trace
