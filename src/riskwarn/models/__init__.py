"""Risk models: point-in-time labels, temporal splits, LightGBM + baselines, calibration,
evaluation, MLflow tracking and the guarded `riskwarn-risk` registry.

Modules: config (defaults.yaml), labels, splits, attributes (slice attributes), truth
(simulator oracles), pipeline, baselines, calibration, model (RiskModel), train, evaluate,
gate, registry, pyfunc (MLflow wrapper), card, plots, explore, workflow.
Nothing is imported here, so `import riskwarn.models` stays cheap.
"""
