"""Normalize stage settings, passed in by the caller (the core reads no environment)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


def _default_source_timezones() -> dict[str, str]:
    return {"Korea JoongAng Daily": "Asia/Seoul", "Yonhap": "Asia/Seoul"}


@dataclass(frozen=True)
class NormalizeConfig:
    # Zone for zone-less dates when the source has none configured.
    default_timezone: str = "UTC"
    # Source name -> IANA zone used for that source's zone-less dates (names compared without case).
    source_timezones: Mapping[str, str] = field(default_factory=_default_source_timezones)
