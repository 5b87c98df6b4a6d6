"""Warning levels per region, read from warning_levels.yml (names from the documents, thresholds local)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LEVELS_FILE = Path(__file__).with_name("warning_levels.yml")


@dataclass(frozen=True)
class WarningLevel:
    name: str
    kind: str
    phase: str  # "before" or "after" the deadline
    at: float

    def label(self) -> str:
        return f"{self.name}（{self.kind}）" if self.kind not in self.name else self.name


@dataclass(frozen=True)
class WarningScheme:
    region: str
    levels: tuple[WarningLevel, ...]
    source: str | None = None  # document number when the level names come from a document

    def level(self, used: float, overrun: float | None) -> WarningLevel | None:
        """The highest level reached: `used` share of the limit before the deadline, `overrun` after it."""
        phase, share = ("after", overrun) if overrun is not None else ("before", used)
        reached = [lv for lv in self.levels if lv.phase == phase and share >= lv.at]
        return max(reached, key=lambda lv: lv.at) if reached else None


@lru_cache(maxsize=4)
def load_schemes(path: Path = LEVELS_FILE) -> dict[str, WarningScheme]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schemes = {}
    for region, entry in data.items():
        levels = tuple(WarningLevel(lv["name"], lv["kind"], lv["phase"], float(lv["at"])) for lv in entry["levels"])
        if any(lv.phase not in ("before", "after") for lv in levels):
            raise ValueError(f"{path}: phase must be before or after ({region})")
        schemes[region] = WarningScheme(region, levels, (entry.get("source") or {}).get("doc"))
    return schemes


def scheme_for(region: str) -> WarningScheme:
    schemes = load_schemes()
    return schemes.get(region, schemes["default"])
