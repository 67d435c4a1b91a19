"""The upstream feed contract (../shared/contract/README.md) expressed as code."""
