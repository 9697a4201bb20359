"""Building blocks of the config models: the strict base, shared value types, enforcement levels.

`environments/base.yaml` and `environments/<env>.yaml` are merged (see `loader.py`) and
validated into an `EnvironmentConfig`. Every field has a description: they become the JSON
Schemas (`environments/*.schema.json`, `config.schema`) that editors use to complete and check the YAML.
Environment differences live in the YAML files, never in `if env == "prod"` in code.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
ShortName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,9}$")]
DnsLabel = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
GpuVmSize = Annotated[str, StringConstraints(pattern=r"^Standard_N[A-Za-z0-9_]+$")]
VmSize = Annotated[str, StringConstraints(pattern=r"^Standard_[A-Za-z0-9_]+$")]
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,127}$")]
"""A Key Vault secret name (letters, digits, hyphens; 1-127)."""
EnvVarName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,127}$")]
"""The name of an environment variable read at run time (upper case, digits, underscores)."""
Digest = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
RegistryHost = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")]
"""A container registry's host name, e.g. docker.io, nvcr.io, mcr.microsoft.com."""
Repository = Annotated[str, StringConstraints(pattern=r"^[a-z0-9._-]+(/[a-z0-9._-]+)*$")]
"""A repository path inside a registry, without tag or digest."""


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable, numbers finite
    (YAML's `.inf` and `.nan` would switch a cost gate off and put `Infinity` in plans and manifests)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EnforcementLevel(str, Enum):
    """How a policy verdict acts: mandatory stops a deployment, advisory only reports."""

    mandatory = "mandatory"
    advisory = "advisory"
    disabled = "disabled"
