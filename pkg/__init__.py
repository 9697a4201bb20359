"""llmops-infra: the LLMOps estate on Azure as code, with Pulumi."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("llmops-infra")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+local"
