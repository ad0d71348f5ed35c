"""The retraining fixtures (state table, retraining state machine, the starter's environment): a
degraded verdict starts a retraining through the same starter as drift."""

from tests.unit.retraining.conftest import retraining  # noqa: F401  (the fixture, shared)
