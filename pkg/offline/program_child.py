"""The child process of `policy check --program`: run one Pulumi program under the mocks.

`plan_program` starts `python -m llmops_infra.offline.program_child REQUEST RESULT`: REQUEST is
a JSON file (program path, stack, project, mocks' subscription/tenant/location, stack outputs),
RESULT where the plan goes as JSON. The program's own prints stay on this process's stdout and
stderr, which the parent captures apart from its report. Only a plan written to RESULT and exit
code 0 count as success: any exception, `SystemExit` (a `sys.exit(main())` ending) or
`os._exit` is a failure to plan.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Synthesize the program `request` names; the plan as a dict."""
    import runpy

    from llmops_infra.offline import lean_imports

    lean_imports.install()
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize

    file = Path(request["file"])
    mocks = AzureMocks(
        request["subscription"], request["tenant"], request["location"], stack_outputs=request["stack_outputs"]
    )

    def program() -> None:
        sys.path.insert(0, str(file.parent))
        try:
            runpy.run_path(str(file), run_name="__main__")
        except SystemExit as exc:  # judged, not obeyed: a program that exits has not planned
            raise RuntimeError(f"the program called sys.exit({exc.code!r}) while it was being planned") from None
        finally:
            sys.path.remove(str(file.parent))

    from dataclasses import asdict

    from llmops_infra.offline.policy_check import program_origin

    plan = synthesize(
        program,
        environment=request["environment"],
        project=request["project"],
        mocks=mocks,
        origin=program_origin(file.parent),
    )
    return {"plan": plan.to_dict(), "origins": {urn: asdict(origin) for urn, origin in plan.origins.items()}}


def main(argv: list[str]) -> int:
    request_file, result_file = Path(argv[0]), Path(argv[1])
    try:
        plan = run(json.loads(request_file.read_text(encoding="utf-8")))
    except BaseException as exc:
        traceback.print_exception(exc, file=sys.stderr)
        from llmops_infra.offline.policy_check import _failing_line

        file = Path(json.loads(request_file.read_text(encoding="utf-8")).get("file", ""))
        result_file.write_text(json.dumps({"line": _failing_line(exc, file)}), encoding="utf-8")
        return 1
    result_file.write_text(json.dumps(plan, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
