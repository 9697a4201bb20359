"""The platform stack for the plain Pulumi CLI (stack name = environment name): see stacks/entry.py."""

from pathlib import Path

from llmops_infra.stacks.entry import run

run("platform", Path(__file__).resolve().parent)
