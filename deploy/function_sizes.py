"""Each function's unzipped size (build/app plus the layers template.yaml attaches to it), printed by
deploy/package.sh; exits 1 when one is over the limit. Lambda refuses a function whose code and layers pass 250 MB
(262,144,000 bytes) unzipped; the limit here is 220 MB, to leave room for the next dependency upgrade.

Usage: python deploy/function_sizes.py [BUILD_DIR] [--template template.yaml] [--limit-mb 220]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cfnlint.decode import decode_str

MB = 1024 * 1024  # Lambda's "250 MB" is 250 MiB
LIMIT_MB = 220


def tree_size(folder: Path) -> int:
    """The bytes Lambda unpacks for ``folder``: every regular file's size."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def function_sizes(template: dict, build: Path) -> dict[str, tuple[int, list[str]]]:
    """{function: (bytes, [layer names])}; a layer is sized from its ContentUri under ``build``."""
    resources = template["Resources"]
    layers = {name: tree_size(build / Path(res["Properties"]["ContentUri"]).relative_to("build"))
              for name, res in resources.items() if res["Type"] == "AWS::Serverless::LayerVersion"}
    app = tree_size(build / "app")
    sizes = {}
    for name, res in sorted(resources.items()):
        if res["Type"] != "AWS::Serverless::Function":
            continue
        attached = [ref["Ref"] for ref in res["Properties"].get("Layers", [])]
        sizes[name] = (app + sum(layers[layer] for layer in attached), attached)
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default="build")
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--limit-mb", type=float, default=LIMIT_MB)
    args = parser.parse_args(argv)
    template, problems = decode_str(Path(args.template).read_text())
    if problems:
        print(f"error: cannot read {args.template}: {problems[0]}", file=sys.stderr)
        return 2
    over = []
    for name, (size, attached) in function_sizes(template, Path(args.build)).items():
        flag = "  OVER THE LIMIT" if size > args.limit_mb * MB else ""
        layers = "+".join(layer.removesuffix("Layer").lower() for layer in attached)
        print(f"function {name:<28} {size / MB:6.1f} MB unzipped (app+{layers}){flag}")
        if flag:
            over.append(name)
    if over:
        print(f"error: {', '.join(over)} over {args.limit_mb:g} MB unzipped (Lambda refuses 250 MB); leave out what "
              "they do not import", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
