"""llmops-infra: the LLMOps estate on Azure as code, with Pulumi."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("llmops-infra")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+local"

SCHEMA_VERSION = 1
"""`schema_version` of every JSON document the command line prints: raised when a key is removed or
changes meaning; keys may be added in any version. (SARIF carries SARIF's own `version`; the
engine's --policy-pack-config document is Pulumi's format.)"""
