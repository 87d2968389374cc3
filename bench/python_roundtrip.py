#!/usr/bin/python3
"""Python onnx's load+save, the baseline: onnx.save(onnx.load(IN), OUT).

Usage: /usr/bin/python3 bench/python_roundtrip.py IN OUT

A model with external data is loaded with its data (onnx.load reads it into memory) and saved with
one external data file OUT.data beside OUT, as onnx-tie writes it.
"""
import os
import sys

import onnx
from onnx import TensorProto


def has_external(model):
    return any(t.data_location == TensorProto.EXTERNAL for t in model.graph.initializer)


def main():
    source, target = sys.argv[1], sys.argv[2]
    external = has_external(onnx.load(source, load_external_data=False))
    model = onnx.load(source)
    if external:
        onnx.save(model, target, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=os.path.basename(target) + ".data")
    else:
        onnx.save(model, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
