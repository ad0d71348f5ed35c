"""Shared code of the MLOps loop's Lambda functions (shipped as the Shared layer)."""
