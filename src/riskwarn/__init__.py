"""riskwarn — risk early warning for cross-department market supervision (跨部门综合监管风险预警)."""

__all__ = ["__version__"]
__version__ = "0.1.0"
