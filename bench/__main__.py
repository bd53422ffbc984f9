"""`python -m bench NAME [args]`: run one benchmark (`mock` or `client`)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "mock": "bench.bench_mock",
    "client": "bench.bench_client",
    "callbacks": "bench.bench_callbacks",
    "callback-flood": "bench.bench_callback_flood",
    "mock-fill": "bench.bench_mock_fill",
    "many": "bench.bench_many",
    "batch": "bench.bench_batch",
    "keepalive": "bench.bench_keepalive",
    "batch-overlap": "bench.bench_batch_overlap",
    "mock-image": "bench.bench_mock_image",
    "gallery": "bench.bench_gallery",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print(f"usage: python -m bench {{{','.join(BENCHMARKS)}}} [args]", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[argv[0]])
    result: int = module.main(argv[1:])
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
