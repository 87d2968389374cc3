#!/usr/bin/python3
"""Python onnx over a folder, the baseline of bench/many.sh: 'load IN_DIR' runs onnx.load on every
.onnx file (what a check must at least do); 'save IN_DIR OUT_DIR' runs onnx.save(onnx.load(f)) for
each into OUT_DIR (no fsync: less than a durable rewrite does).

Usage: /usr/bin/python3 bench/python_folder.py load IN_DIR
       /usr/bin/python3 bench/python_folder.py save IN_DIR OUT_DIR
"""
import os
import sys

import onnx


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("load", "save") or \
            (sys.argv[1] == "save") != (len(sys.argv) == 4):
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    source = sys.argv[2]
    names = sorted(n for n in os.listdir(source) if n.endswith(".onnx"))
    if sys.argv[1] == "save":
        os.makedirs(sys.argv[3], exist_ok=True)
    for name in names:
        model = onnx.load(os.path.join(source, name))
        if sys.argv[1] == "save":
            onnx.save(model, os.path.join(sys.argv[3], name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
