"""Start and stop the `k8s` tier's control plane by hand (docs/k8s-testbed.md).

    .venv/bin/python scripts/k8s-testbed.py check      # where the test bed is, or why the tier is skipped (exit 1)
    .venv/bin/python scripts/k8s-testbed.py up [DIR]   # etcd + kube-apiserver + kube-controller-manager until Ctrl-C

`up` prints `export KUBECONFIG=...` (an admin kubeconfig for the random loopback port) and stops
every process on Ctrl-C or SIGTERM; the processes also die with this one (tests/k8s_testbed.py).
The binaries are those of scripts/build-k8s-testbed.sh; etcd is Debian's `etcd-server`.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import k8s_testbed as tb  # the test helpers import by name, as under pytest


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "up") or len(argv) > 2 or (argv[0] == "check" and len(argv) > 1):
        print("usage: k8s-testbed.py check | up [DIR]", file=sys.stderr)
        return 2
    found = tb.find_testbed()
    if isinstance(found, str):
        print(f"k8s tier skipped: {found}")
        return 1
    if argv[0] == "check":
        print(f"k8s tier: test bed at {found.root}")
        return 0
    work_dir = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="k8s-testbed-"))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with tb.Testbed(found, work_dir) as bed:
            print(f"export KUBECONFIG={bed.kubeconfig_path}  # {bed.server}; Ctrl-C stops it", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
    except tb.TestbedError as exc:
        print(f"the test bed did not start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
