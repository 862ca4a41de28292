"""``python -m benchmarks NAME [options]``; with no NAME, lists the benchmarks."""

from __future__ import annotations

import argparse
import importlib
import sys

from benchmarks import BENCHMARKS


def _list() -> int:
    print("usage: python -m benchmarks NAME [options]   (python -m benchmarks NAME --help for options)\n")
    print("benchmarks:")
    width = max(len(name) for name in BENCHMARKS)
    for name, (_, what) in BENCHMARKS.items():
        print(f"  {name:<{width}}  {what}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help", "list"}:
        return _list()
    name, rest = argv[0], argv[1:]
    if name not in BENCHMARKS:
        print(f"no benchmark {name!r}; available: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[name][0])
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks {name}", description=BENCHMARKS[name][1])
    module.add_arguments(parser)
    module.run(parser.parse_args(rest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
