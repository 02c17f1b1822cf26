"""Build-script example: generate and export a small batch with the hoiexport SDK.

Reads prompts (default: samples/prompts.jsonl, one JSON object per line with
"text" and, optionally, "contact" to check against), generates each with the
compose generator, saves its bundle and exports validated glTF / USD files:

    OUT/<nn>_<object>_<config>/bundle/asset.json ...
    OUT/<nn>_<object>_<config>/hoi_<object>.glb, .usdc, .usdz

    .venv/bin/python samples/build_script.py -o out/samples --limit 8

For large batches with resume, workers and a report use `hoiexport batch`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import hoiexport
from hoiexport.exporters.options import BakeOptions

HERE = Path(__file__).resolve().parent


def read_prompts(path: Path) -> list[dict]:
    """Prompt records from a .jsonl (objects with "text") or .txt (one prompt a line) file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rows.append(json.loads(line) if path.suffix == ".jsonl" else {"text": line})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate and export a batch of HOI assets.")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    parser.add_argument("--limit", type=int, default=0, help="only the first N prompts (0: all)")
    parser.add_argument("--prompts", type=Path, default=HERE / "prompts.jsonl", help=".jsonl or .txt prompt file")
    parser.add_argument("--seed", type=int, default=0, help="random seed of every prompt")
    parser.add_argument("--formats", default="glb,usdc,usdz", help="comma-separated export formats")
    parser.add_argument("--target", default="unity", help="engine preset: unity, unreal, omniverse, blender")
    parser.add_argument("--texture-size", type=int, default=1024, help="baked texture edge, 512-4096 px")
    args = parser.parse_args(argv)

    rows = read_prompts(args.prompts)
    if args.limit:
        rows = rows[: args.limit]
    options = hoiexport.ExportOptions(bake=BakeOptions(size=args.texture_size))
    failures = 0
    for i, row in enumerate(rows):
        t0 = time.perf_counter()
        try:
            asset = hoiexport.generate(row["text"], seed=args.seed)
        except hoiexport.HOIExportError as exc:
            failures += 1
            print(f"[{i:02d}] FAILED {row['text']!r}: {exc}", file=sys.stderr)
            continue
        config = asset.contact_config.value
        folder = args.out / f"{i:02d}_{asset.prompt.object}_{config}"
        hoiexport.save_bundle(asset, folder / "bundle", overwrite=True)
        result = hoiexport.export(asset, folder, formats=args.formats, target=args.target, options=options)
        expected = row.get("contact")
        check = "" if expected is None else (" (as expected)" if expected == config else f" (expected {expected})")
        failures += expected is not None and expected != config
        files = ", ".join(p.name for p in result.files.values())
        print(f"[{i:02d}] {row['text']!r}: {config}{check}, penetration "
              f"{asset.penetration.max_depth_cm:.2f} cm, {time.perf_counter() - t0:.1f} s -> {folder} [{files}]")
    print(f"{len(rows) - failures}/{len(rows)} assets written to {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
