"""Model-quality monitoring: a run's predictions joined with their ground truth (docs/model-quality.md)."""
