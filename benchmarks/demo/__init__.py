"""The demo's wall time, and its orchestration overhead over the same ML work done directly."""
