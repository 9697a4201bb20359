"""The lifecycle catalog: when each thing the estate pins stops being supported.

Shipped as data (`data/lifecycle.json`, beside the price catalog): AKS Kubernetes versions,
Azure OpenAI model versions, GPU operator releases, NVIDIA driver branches, inference images,
OS SKUs, GPU VM sizes and platform features, each with its source and the day it was read.
`llmops-infra lifecycle refresh` writes a refreshed copy to the user cache; `lifecycle_files.load_catalog()`
prefers that copy when it is at least as new.

Every lookup answers a `Verdict`: ok, retiring (within `warn_days`), deprecated (no new
customers), retired (out of support today) or unknown (not in the catalog). Pure data and
dates: no network, no orchestration imports, so the policies and the config check share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from llmops_infra.errors import ConfigError

OK, RETIRING, DEPRECATED, RETIRED, UNKNOWN = "ok", "retiring", "deprecated", "retired", "unknown"
BLOCKING = frozenset({RETIRED})
WARNING = frozenset({RETIRING, DEPRECATED, UNKNOWN})


class LifecycleCatalogError(ConfigError):
    """The catalog file is unreadable or malformed (bad input: exit 2)."""


@dataclass(frozen=True)
class Verdict:
    """What the catalog says about one pinned thing on one day."""

    kind: str
    """kubernetes, model, gpu-operator, driver, image, node-agent, os-sku, vm-size, feature."""
    subject: str
    """What was judged, as a person would write it: `gpt-4o 2024-11-20`, `AKS 1.31`."""
    state: str
    date: date | None = None
    """The date that decides the state: retirement or end of life (deprecation when deprecated)."""
    replacement: str | None = None
    source: str | None = None
    read: str | None = None
    detail: str = ""
    dates: dict[str, str] = field(default_factory=dict)
    """Every date the entry records (ga, deprecation, end_of_life, lts_end_of_life …), as ISO strings."""

    @property
    def blocking(self) -> bool:
        return self.state in BLOCKING

    def sentence(self) -> str:
        """One sentence: what, the state, the date, what to use instead, the source."""
        when = f" on {self.date.isoformat()}" if self.date else ""
        text = {
            RETIRED: f"{self.subject} is retired (out of support"
            + (f" since {self.date.isoformat()})" if self.date else "; the sources give no date)"),
            RETIRING: f"{self.subject} retires{when}",
            DEPRECATED: f"{self.subject} is deprecated (no new customers since{when})",
            UNKNOWN: f"{self.subject} is not in the lifecycle catalog",
            OK: f"{self.subject} is supported" + (f" until {self.date.isoformat()}" if self.date else ""),
        }[self.state]
        if self.detail:
            text += f": {self.detail}"
        if self.replacement and self.state != OK:
            text += f". Use {self.replacement} instead"
        if self.source:
            text += f" (source: {self.source}, read {self.read or 'on an unknown day'})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "state": self.state,
            "date": self.date.isoformat() if self.date else None,
            "replacement": self.replacement,
            "source": self.source,
            "read": self.read,
            "detail": self.detail,
            "dates": dict(self.dates),
        }


def parse_day(value: Any) -> date | None:
    """An ISO date (`2027-03-31`); a month (`2026-06`) means its first day. None stays None."""
    if value in (None, ""):
        return None
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LifecycleCatalogError(f"lifecycle catalog: {value!r} is not a date (YYYY-MM-DD)") from None


def minor_version(version: str) -> str:
    """`1.36.2` -> `1.36`."""
    return ".".join(str(version).split(".")[:2])


def driver_branch(driver_version: str) -> str:
    """`580.173.02` -> `R580`."""
    major = str(driver_version).split(".", 1)[0]
    if not major.isdigit():
        raise ValueError(f"{driver_version!r} is not an NVIDIA driver version (e.g. 580.173.02)")
    return f"R{major}"


def cuda_tuple(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(value).split(".") if part.isdigit())


@dataclass(frozen=True)
class LifecycleCatalog:
    data: dict[str, Any]
    path: Path | None = None
    notice: str | None = None
    """Why a user copy was not used, when it was not (unreadable, older than the shipped one)."""

    # ------------------------------------------------------------------ metadata

    @property
    def generated(self) -> date:
        return parse_day(self.data.get("generated")) or date.min

    @property
    def warn_days(self) -> int:
        return int(self.data.get("warn_days", 90))

    def source(self, key: str | None) -> tuple[str | None, str | None]:
        """(url, day read) of a source key; a URL given in place of a key stands for itself."""
        if not key:
            return None, None
        entry = (self.data.get("sources") or {}).get(key)
        if entry is None:
            return key, None
        return entry.get("url"), entry.get("read")

    def _verdict(
        self,
        kind: str,
        subject: str,
        end: date | None,
        today: date,
        entry: dict[str, Any],
        *,
        retired: bool = False,
        deprecated: date | None = None,
        replacement: str | None = None,
        detail: str = "",
    ) -> Verdict:
        url, read = self.source(entry.get("source"))
        read = entry.get("read") or read
        dates = {k: str(v) for k, v in entry.items() if v and _is_date_key(k)}
        if retired or (end is not None and today >= end):
            state, decisive = RETIRED, end
        elif end is not None and (end - today).days <= self.warn_days:
            state, decisive = RETIRING, end
        elif deprecated is not None and today >= deprecated:
            state, decisive = DEPRECATED, deprecated
        else:
            state, decisive = OK, end
        note = entry.get("note") or ""
        if state != OK and note and not detail:
            detail = note
        return Verdict(kind, subject, state, decisive, replacement, url, read, detail, dates)

    def _unknown(self, kind: str, subject: str, hint: str) -> Verdict:
        return Verdict(kind, subject, UNKNOWN, detail=hint)

    # ------------------------------------------------------------------ lookups

    def kubernetes(self, version: str, today: date) -> Verdict:
        minor = minor_version(version)
        entry = (self.data.get("kubernetes") or {}).get(minor)
        subject = f"AKS Kubernetes {version}"
        if entry is None:
            known = ", ".join(sorted(self.data.get("kubernetes") or {}, key=cuda_tuple))
            return self._unknown("kubernetes", subject, f"the catalog knows {known}")
        return self._verdict(
            "kubernetes",
            subject,
            parse_day(entry.get("end_of_life")),
            today,
            entry,
            replacement=self.current_kubernetes(today),
            detail=(
                f"long-term support (Premium tier with the AKSLongTermSupport plan, which this estate does not "
                f"configure) runs to {entry.get('lts_end_of_life')}"
            ),
        )

    def current_kubernetes(self, today: date) -> str | None:
        """The supported minor version with the longest remaining support (GA today)."""
        best = None
        for minor, entry in (self.data.get("kubernetes") or {}).items():
            ga, eol = parse_day(entry.get("ga")), parse_day(entry.get("end_of_life"))
            if ga and eol and ga <= today < eol and (best is None or eol > best[1]):
                best = (minor, eol)
        return f"Kubernetes {best[0]}" if best else None

    def model(self, name: str, version: str, sku: str | None, today: date) -> Verdict:
        subject = f"{name} {version}" + (f" ({sku})" if sku else "")
        entry = next(
            (
                m
                for m in self.data.get("models") or []
                if m.get("name") == name and str(m.get("version")) == str(version)
            ),
            None,
        )
        if entry is None:
            versions = sorted(str(m["version"]) for m in self.data.get("models") or [] if m.get("name") == name)
            hint = f"known versions of {name}: {', '.join(versions)}" if versions else "model not in the catalog"
            return self._unknown("model", subject, hint)
        by_sku = entry.get("retirement_by_sku") or {}
        end = parse_day(by_sku.get(sku) if sku in by_sku else entry.get("retirement"))
        replacement = entry.get("replacement")
        if replacement:
            replacement = self._model_with_version(replacement, today)
            name_, _, version_ = replacement.partition(" ")
            listed = self.model(name_, version_, sku, today) if version_ and name_ != name else None
            current = self.suggest_model(entry.get("kind", "chat"), today, exclude=name)
            if listed is not None and listed.state != OK and current and current != replacement:
                replacement = f"{current} (Microsoft lists {replacement}, itself {listed.state} on {listed.date})"
        else:
            replacement = self.suggest_model(entry.get("kind", "chat"), today, exclude=name)
        return self._verdict(
            "model",
            subject,
            end,
            today,
            entry,
            deprecated=parse_day(entry.get("deprecation")),
            replacement=replacement,
            detail="deployments of a retired model return errors and cannot be created" if end and today >= end else "",
        )

    def _model_with_version(self, name: str, today: date) -> str:
        """`gpt-5.1` -> `gpt-5.1 2025-11-13` (its newest catalogued version), or the name alone."""
        versions = [m for m in self.data.get("models") or [] if m.get("name") == name]
        if not versions:
            return name
        newest = max(versions, key=lambda m: str(m.get("version")))
        return f"{name} {newest['version']}"

    def suggest_model(self, kind: str, today: date, *, exclude: str | None = None) -> str | None:
        """The catalogued model of `kind` with the latest retirement, not deprecated today."""
        best = None
        for m in self.data.get("models") or []:
            if m.get("kind") != kind or m.get("name") == exclude:
                continue
            end, dep = parse_day(m.get("retirement")), parse_day(m.get("deprecation"))
            if end is None or end <= today or (dep is not None and dep <= today):
                continue
            if best is None or end > best[0]:
                best = (end, f"{m['name']} {m['version']}")
        return best[1] if best else None

    def gpu_operator(self, version: str, today: date) -> Verdict:
        entry = (self.data.get("gpu_operator") or {}).get(version)
        subject = f"GPU operator {version}"
        if entry is None:
            return self._unknown("gpu-operator", subject, "release not in the catalog")
        current = self.current_gpu_operator()
        return self._verdict(
            "gpu-operator",
            subject,
            parse_day(entry.get("end_of_support")),
            today,
            entry,
            deprecated=parse_day(entry.get("deprecated")),
            replacement=f"GPU operator {current}" if current and current != version else None,
            detail="NVIDIA no longer patches this release" if entry.get("end_of_support") else "",
        )

    def current_gpu_operator(self) -> str | None:
        releases = self.data.get("gpu_operator") or {}
        live = [v for v, e in releases.items() if not e.get("end_of_support") and not e.get("deprecated")]
        return max(live, key=lambda v: cuda_tuple(v.lstrip("v"))) if live else None

    def operator_entry(self, version: str) -> dict[str, Any]:
        return (self.data.get("gpu_operator") or {}).get(version) or {}

    def driver(self, driver_version: str, today: date) -> Verdict:
        branch = driver_branch(driver_version)
        entry = (self.data.get("driver_branches") or {}).get(branch)
        subject = f"NVIDIA driver {driver_version} ({branch})"
        if entry is None:
            return self._unknown("driver", subject, "driver branch not in the catalog")
        return self._verdict(
            "driver",
            subject,
            parse_day(entry.get("end_of_life")),
            today,
            entry,
            retired=bool(entry.get("retired")),
            replacement="a driver of a long-term support branch listed for the GPU operator release (e.g. R580)",
        )

    def max_cuda(self, driver_version: str) -> str | None:
        entry = (self.data.get("driver_branches") or {}).get(driver_branch(driver_version)) or {}
        return entry.get("max_cuda")

    def image(self, repository: str, *, tag: str | None = None, digest: str | None = None) -> dict[str, Any] | None:
        """The catalog entry of an inference image, found by tag or by one of its digests."""
        entry: dict[str, Any]
        for entry in self.data.get("images") or []:
            if not repository.endswith(entry.get("repository", "\0")):
                continue
            if (tag and entry.get("tag") == tag) or (digest and digest in (entry.get("digests") or [])):
                return entry
        return None

    def image_verdict(
        self, repository: str, today: date, *, tag: str | None = None, digest: str | None = None
    ) -> Verdict:
        entry = self.image(repository, tag=tag, digest=digest)
        subject = f"{repository}:{tag}" if tag else f"{repository}@{(digest or '')[:19]}…"
        if entry is None:
            return self._unknown("image", subject, "image not in the catalog: its CUDA requirement cannot be checked")
        return self._verdict(
            "image", f"{repository}:{entry.get('tag')}", parse_day(entry.get("end_of_life")), today, entry
        )

    def node_agent(self, repository: str, digest: str) -> dict[str, Any] | None:
        return next(
            (
                e
                for e in self.data.get("node_agents") or []
                if repository.endswith(e.get("repository", "\0")) and e.get("digest") == digest
            ),
            None,
        )

    def os_sku(self, sku: str, today: date) -> Verdict:
        entry = (self.data.get("os_skus") or {}).get(sku)
        if entry is None:
            return self._unknown("os-sku", f"OS SKU {sku}", "OS SKU not in the catalog")
        return self._verdict(
            "os-sku",
            f"OS SKU {sku}",
            parse_day(entry.get("retirement")),
            today,
            entry,
            replacement=entry.get("replacement"),
        )

    def os_supports_operator(self, sku: str) -> bool | None:
        entry = (self.data.get("os_skus") or {}).get(sku)
        return None if entry is None else bool(entry.get("gpu_operator"))

    def vm_size(self, size: str, today: date) -> Verdict:
        entry = (self.data.get("vm_sizes") or {}).get(size)
        if entry is None:
            return self._unknown("vm-size", size, "VM size not in the catalog")
        return self._verdict("vm-size", size, parse_day(entry.get("retirement")), today, entry)

    def feature(self, name: str, today: date) -> Verdict:
        entry = (self.data.get("features") or {}).get(name)
        if entry is None:
            return self._unknown("feature", name, "feature not in the catalog")
        return self._verdict(
            "feature", name, parse_day(entry.get("retirement")), today, entry, replacement=entry.get("replacement")
        )

    def addons(self, kubernetes_version: str) -> dict[str, str]:
        """Add-on versions AKS installs with this Kubernetes minor version (where the calendar lists them)."""
        entry = (self.data.get("kubernetes") or {}).get(minor_version(kubernetes_version)) or {}
        return dict(entry.get("addons") or {})

    def region(self, location: str) -> dict[str, Any]:
        """What `lifecycle refresh` recorded for a region (versions, models, VM SKUs); empty if never refreshed."""
        return (self.data.get("regions") or {}).get(location) or {}


def _is_date_key(key: str) -> bool:
    return key in {
        "ga",
        "released",
        "deprecation",
        "deprecated",
        "retirement",
        "end_of_life",
        "end_of_support",
        "lts_end_of_life",
        "feature_development_ended",
    }
