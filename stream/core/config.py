"""The core's settings, one value per stage, built by the caller (``stream.config.Settings.core``
for the worker and the CLI): nothing under ``stream.core`` reads the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from stream.core.normalize.config import NormalizeConfig
from stream.core.relate.config import RelateConfig
from stream.core.tag.config import TagConfig


@dataclass(frozen=True, slots=True)
class ValidateConfig:
    max_message_bytes: int = 4 * 1024 * 1024  # largest raw message accepted (bytes)
    max_body_bytes: int = 1024 * 1024  # largest body or html accepted (bytes, UTF-8)


@dataclass(frozen=True)
class CoreConfig:
    validate: ValidateConfig = field(default_factory=ValidateConfig)
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    tag: TagConfig = field(default_factory=TagConfig)
    relate: RelateConfig = field(default_factory=RelateConfig)
