"""What Azure refuses later, refused when the environment file is read: regions, tags, budget start.

Each limit carries the page it comes from and the date it was read (2026-12-01), so a
successor can check it again.

- Regions: the programmatic names of "Azure regions list",
  https://learn.microsoft.com/azure/reliability/regions-list (page dated 2025-09-23, read
  2026-12-01; MicrosoftDocs/reliability-docs articles/reliability/regions-list.md, tab "All").
  Restricted-access regions are listed (a subscription may be granted them); a region the page
  does not name is refused: a typo would otherwise surface at `up`.
- Tags: "Use tags to organize your Azure resources", section Limitations,
  https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
  (read 2026-12-01): at most 50 tag name/value pairs per resource; a tag name at most 512
  characters and a value at most 256, but on storage accounts a name at most 128 (the estate
  has storage accounts, and every taggable resource gets the same tags, so 128 applies); tag
  names can't contain `<`, `>`, `%`, `&`, `\\`, `?`, `/`; Azure DNS zones (the estate's private
  DNS zones are tagged too) also don't allow spaces in tags. Control and bidi characters are
  refused as well: they hide what a tag says in the portal and in cost reports.
- Budgets: Microsoft.Consumption budgets take a start date in the current month or later when
  they are created (see `BudgetConfig.start_date`).
"""

from __future__ import annotations

import difflib
from datetime import UTC, date, datetime

from llmops_infra.errors import clean

REGIONS_SOURCE = "https://learn.microsoft.com/azure/reliability/regions-list (read 2026-12-01)"
REGIONS: frozenset[str] = frozenset(
    [
        "australiacentral",
        "australiacentral2",
        "australiaeast",
        "australiasoutheast",
        "austriaeast",
        "belgiumcentral",
        "brazilsouth",
        "brazilsoutheast",
        "canadacentral",
        "canadaeast",
        "centralindia",
        "centralus",
        "chilecentral",
        "denmarkeast",
        "eastasia",
        "eastus",
        "eastus2",
        "francecentral",
        "francesouth",
        "germanynorth",
        "germanywestcentral",
        "indonesiacentral",
        "israelcentral",
        "italynorth",
        "japaneast",
        "japanwest",
        "koreacentral",
        "koreasouth",
        "malaysiawest",
        "mexicocentral",
        "newzealandnorth",
        "northcentralus",
        "northeurope",
        "norwayeast",
        "norwaywest",
        "polandcentral",
        "qatarcentral",
        "southafricanorth",
        "southafricawest",
        "southcentralus",
        "southindia",
        "southeastasia",
        "spaincentral",
        "swedencentral",
        "switzerlandnorth",
        "switzerlandwest",
        "uaecentral",
        "uaenorth",
        "uksouth",
        "ukwest",
        "westcentralus",
        "westeurope",
        "westindia",
        "westus",
        "westus2",
        "westus3",
    ]
)

TAGS_SOURCE = "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations"
MAX_TAGS = 50
MAX_TAG_NAME = 128
"""512 in general, 128 on storage accounts: every taggable resource of the estate gets the same tags."""
MAX_TAG_VALUE = 256
FORBIDDEN_IN_TAG_NAMES = "<>%&\\?/ "


def region_problem(region: str) -> str | None:
    """Why `region` is not an Azure region (None: it is one)."""
    if region in REGIONS:
        return None
    close = difflib.get_close_matches(region, sorted(REGIONS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"{clean(region)[:40]!r} is not an Azure region{hint}: use a programmatic name from {REGIONS_SOURCE}, "
        "e.g. eastus2 or swedencentral"
    )


def _invisible(text: str) -> bool:
    return clean(text) != text


def tag_name_problem(name: str) -> str | None:
    if not name:
        return "a tag name is empty"
    if len(name) > MAX_TAG_NAME:
        return f"a tag name is {len(name)} characters: Azure takes at most {MAX_TAG_NAME} on storage accounts ({TAGS_SOURCE})"
    if _invisible(name):
        return "a tag name contains control or bidirectional-text characters: use plain text"
    bad = sorted({c for c in name if c in FORBIDDEN_IN_TAG_NAMES})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        return f"tag name {name!r} contains {shown}: Azure tag names can't contain < > % & \\ ? / or spaces ({TAGS_SOURCE})"
    return None


def tag_value_problem(name: str, value: str) -> str | None:
    if len(value) > MAX_TAG_VALUE:
        return (
            f"the value of tag {name!r} is {len(value)} characters: Azure takes at most {MAX_TAG_VALUE} ({TAGS_SOURCE})"
        )
    if _invisible(value):
        return f"the value of tag {name!r} contains control or bidirectional-text characters: use plain text"
    return None


def tags_problem(tags: dict[str, str], fixed: int) -> str | None:
    """The first problem of the tags `tags` (besides `fixed` tags the estate sets itself)."""
    if len(tags) + fixed > MAX_TAGS:
        return (
            f"{len(tags)} extra tags and the estate's {fixed} exceed Azure's {MAX_TAGS} tags per resource "
            f"({TAGS_SOURCE}): merge some into one JSON value"
        )
    for name, value in tags.items():
        problem = tag_name_problem(name)
        if problem is None and name.lower() != name and name.lower() in {k.lower() for k in tags if k != name}:
            problem = f"tags {name!r} and {name.lower()!r} differ only in case: Azure tag names are case-insensitive"
        problem = problem or tag_value_problem(name, value)
        if problem:
            return problem
    return None


def budget_start_problem(start: date, today: date | None = None) -> str | None:
    """A start before the current month (UTC): Azure refuses it when the budget is created."""
    month = (today or datetime.now(UTC).date()).replace(day=1)
    if start < month:
        return (
            f"start_date {start} lies before the current month: Azure creates a budget only from the current "
            f"month ({month}) on. Remove start_date (the default is the current month) or use {month} or later"
        )
    return None
