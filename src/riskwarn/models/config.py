"""Model settings from YAML (defaults.yaml in this package, optionally overridden by a file)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from riskwarn.errors import ConfigError

__all__ = ["ModelConfig", "load_model_config"]


@dataclass(frozen=True)
class ModelConfig:
    """Every threshold the model stage uses; thresholds live in YAML, not in code."""

    raw: dict[str, Any] = field(repr=False)
    source: str = "defaults"

    def get(self, section: str, key: str) -> Any:
        """One setting; a clear error naming section and key when it is missing."""
        try:
            return self.raw[section][key]
        except KeyError:
            raise ConfigError(f"model config {self.source}: missing {section}.{key}") from None

    @property
    def horizon_days(self) -> int:
        return int(self.get("labels", "horizon_days"))

    @property
    def capacities(self) -> tuple[float, ...]:
        return tuple(float(c) for c in self.get("evaluation", "capacities"))

    def with_overrides(self, **sections: dict[str, Any]) -> ModelConfig:
        """A copy with some keys replaced, e.g. `with_overrides(labels={"horizon_days": 60})`;
        nested mappings merge key by key (`training={"lightgbm": {"num_leaves": 15}}` keeps
        the other LightGBM settings), and unknown keys are errors, as in a config file."""
        return ModelConfig(
            raw=_merge(self.raw, sections, "overrides"), source=self.source + "+overrides"
        )


def _merge(base: dict[str, Any], over: dict[str, Any], where: str) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if key not in base:
            raise ConfigError(f"model config {where}: unknown key {key!r}; known: {sorted(base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"model config {where}: {key!r} must be a mapping")
            out[key] = _merge(base[key], value, f"{where}:{key}")
        else:
            out[key] = value
    return out


def load_model_config(path: Path | None = None) -> ModelConfig:
    """Defaults, with the keys of `path` (if given) laid over them; unknown keys are errors."""
    text = files("riskwarn.models").joinpath("defaults.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if path is None:
        return ModelConfig(raw=raw)
    try:
        over = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"model config {path}: cannot read ({exc})") from exc
    if not isinstance(over, dict):
        raise ConfigError(f"model config {path}: top level must be a mapping")
    return ModelConfig(raw=_merge(raw, over, str(path)), source=str(path))
