"""Write tiny random-weight models in their real repositories' on-disk layout.

For trying the pipelines that need model weights on a machine without them
(CPU, no downloads): the same builders the tests use (`tests/builders`), one
per `third_party_models.lock` entry. The weights are random: outputs show the
wiring runs, never model quality.

    .venv/bin/python scripts/write_tiny_models.py sana1-5-1600m-1024px -o tiny_models
    # prints the folder of each entry, e.g. tiny_models/sana1-5-1600m-1024px
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    from tests.builders.lock_writers import LOCK_WRITERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entries", nargs="+", metavar="ENTRY", help="lock entries: " + ", ".join(LOCK_WRITERS))
    parser.add_argument("-o", "--out", required=True, type=Path, help="models folder to write into")
    args = parser.parse_args(argv)
    unknown = [e for e in args.entries if e not in LOCK_WRITERS]
    if unknown:
        parser.error(f"unknown lock entr{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                     f"use: {', '.join(LOCK_WRITERS)}")
    for entry in args.entries:
        print(LOCK_WRITERS[entry](args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
