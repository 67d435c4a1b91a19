"""Every error riskwarn raises on purpose, in one place.

    RiskwarnError
    ├── ConfigError            settings or a config file is invalid
    ├── ContractError          a delivery or feed file does not follow the contract
    │   └── DeliveryError      a delivery folder cannot be ingested as a whole
    ├── StoreError             the embedded store is missing or inconsistent
    ├── CatalogError           an indicator declaration in features/ is malformed
    └── ModelError             training, registry or scoring cannot proceed

Messages name the row, field or parameter and say what would be valid.
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "ConfigError",
    "ContractError",
    "DeliveryError",
    "ModelError",
    "RiskwarnError",
    "StoreError",
]


class RiskwarnError(Exception):
    """Base of every error riskwarn raises on purpose."""


class ConfigError(RiskwarnError):
    """Settings or a configuration file is invalid."""


class ContractError(RiskwarnError):
    """Input does not follow the upstream feed contract."""


class DeliveryError(ContractError):
    """A delivery folder cannot be ingested as a whole (e.g. unreadable manifest)."""


class StoreError(RiskwarnError):
    """The embedded store is missing, locked or inconsistent."""


class CatalogError(RiskwarnError):
    """An indicator declaration is malformed; the message names the entry and field."""


class ModelError(RiskwarnError):
    """Training, the model registry or scoring cannot proceed."""
