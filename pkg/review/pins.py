"""What an environment pins and when each pin stops being supported: the `lifecycle ENV` report.

Every pin (Kubernetes version, models, GPU operator and driver, images, OS SKUs, GPU sizes,
features, AKS add-ons) with the lifecycle catalog's verdict, located at the file, line and key
that set it. Retired pins are listed too: this is the report; `validate` is what refuses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmops_infra.policies.lifecycle_catalog import LifecycleCatalog


def pin_report(env: str, project_dir: Path, catalog: LifecycleCatalog) -> dict[str, Any]:
    """ENV's pins, errors and warnings as plain data (what `lifecycle ENV --format json` prints)."""
    from llmops_infra.config import lifecycle
    from llmops_infra.config.loader import load_located

    config, _merged, source = load_located(env, project_dir, check_lifecycle=False)
    report = lifecycle.check(config, catalog)
    return {
        "environment": env,
        "today": report.today.isoformat(),
        "pins": [
            {"where": _where(p.key, source), "pinned": p.value, "derived": p.derived, **p.verdict.as_dict()}
            for p in report.pins
        ],
        "errors": [{"where": _where(f.key, source), "message": f.message} for f in report.errors],
        "warnings": [{"where": _where(f.key, source), "message": f.message} for f in report.warnings],
    }


def _where(key: tuple[Any, ...], source: Any) -> str:
    from llmops_infra.config.secrets_scan import format_path

    file, line = source.locate(key)
    return f"{file}:{line} {format_path(key)}" if file and line else format_path(key)
