"""Contract ingestion: delivery folders → validated versions, quarantine and ledger in the store."""

from riskwarn.ingest.report import DeliveryReport, FileReport
from riskwarn.ingest.run import ingest

__all__ = ["DeliveryReport", "FileReport", "ingest"]
