"""``Migration``: the test moves the installation into or out of the DCC's reach (DMCT): readiness, migration,
dormancy. Only the simulator; on a real link the lab has migrated (or kept dormant) the installation beforehand."""

from __future__ import annotations

from typing import Any, Protocol


class Migration(Protocol):
    @property
    def enrolled(self) -> bool:
        """Whether the installation is enrolled with the DCC (False while dormant)."""

    def migration_readiness(self) -> dict[str, Any]: ...

    def migrate(self, cohort: str = "FOC") -> dict[str, Any]:
        """One migration attempt now: ``{"migrated": bool, "cohort", "steps", "reasons"}``."""

    def make_dormant(self) -> None:
        """The supplier ends its SMSO contract: the installation leaves the DCC's reach."""
