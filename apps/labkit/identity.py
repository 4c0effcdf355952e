"""Who is answering: lets a user who scales to N replicas see the load spread."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    service: str
    version: str
    pod: str

    def fields(self) -> dict[str, str]:
        """The fields every JSON response body carries."""
        return {"pod": self.pod, "version": self.version}
