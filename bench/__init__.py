"""Benchmarks: `python -m bench mock` (the mock's request rate), `python -m bench client`."""
