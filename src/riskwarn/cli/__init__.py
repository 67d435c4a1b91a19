"""The `riskwarn` command-line program: one sub-command per stage."""
