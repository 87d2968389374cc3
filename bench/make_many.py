#!/usr/bin/python3
"""Writes the inputs of bench/many.sh into bench/out/many/ (deterministic: seeded numpy).

  backend400/   the first 400 model.onnx files of ONNX's backend test suite (Debian's
                libonnx-testdata, /usr/share/libonnx-testdata/data), sorted by path, one folder,
                named by their path (node__test_abs.onnx, ...): 1.7 MB in all.
  gpt2x50/      50 copies of samples/gpt2_tied/model.onnx (m01.onnx ... m50.onnx), 47 MB.
  gen1000/      1,000 generated small models (g0000.onnx ...): each a chain of Add/MatMul nodes over
                2 to 5 float32 initializers of 64 to 4,096 elements (seeded random shapes and
                values); every 100th model holds a transposed copy of one of its weights (a tie
                inside the file) and every 50th model holds the same 64 x 64 "shared" table (ties
                across files: 20 copies). About 18 MB in all.

Usage: /usr/bin/python3 bench/make_many.py [--out DIR] [--testdata DIR]
Needs onnx (tested with 1.12) and numpy.
"""
import argparse
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def backend(testdata, out):
    os.makedirs(out, exist_ok=True)
    found = []
    for folder, _, files in os.walk(testdata):
        if "model.onnx" in files:
            found.append(os.path.relpath(os.path.join(folder, "model.onnx"), testdata))
    found.sort()
    if len(found) < 400:
        sys.exit(f"make_many.py: only {len(found)} models under {testdata}")
    for rel in found[:400]:
        name = os.path.dirname(rel).replace(os.sep, "__") + ".onnx"
        shutil.copyfile(os.path.join(testdata, rel), os.path.join(out, name))


def gpt2(out):
    os.makedirs(out, exist_ok=True)
    sample = os.path.join(ROOT, "samples", "gpt2_tied", "model.onnx")
    for i in range(1, 51):
        shutil.copyfile(sample, os.path.join(out, f"m{i:02d}.onnx"))


def generated(out, count=1000):
    os.makedirs(out, exist_ok=True)
    shared = np.random.default_rng(7).standard_normal((64, 64), dtype=np.float32)
    for index in range(count):
        rng = np.random.default_rng(1000 + index)
        width = int(rng.choice([8, 16, 32, 64]))
        weights = []
        for k in range(int(rng.integers(2, 6))):
            rows = int(rng.integers(1, 65))
            weights.append((f"w{k}", rng.standard_normal((width, width), dtype=np.float32)
                            if k % 2 else rng.standard_normal((rows, width), dtype=np.float32)))
        nodes, inits = [], []
        current = "x"
        for name, value in weights:
            inits.append(numpy_helper.from_array(value, name))
            if value.shape == (width, width):
                nodes.append(helper.make_node("MatMul", [current, name], [name + "_out"]))
            else:
                # the row mean of a [rows, width] table, added on (ReduceMean keeps axes as an
                # attribute up to opset 17)
                nodes.append(helper.make_node("ReduceMean", [name], [name + "_mean"], axes=[0],
                                              keepdims=1))
                nodes.append(helper.make_node("Add", [current, name + "_mean"], [name + "_out"]))
            current = name + "_out"
        if index % 100 == 0:
            # a transposed copy of the first square weight, read by its own MatMul
            square = next((v for _, v in weights if v.shape == (width, width)), None)
            if square is not None:
                inits.append(numpy_helper.from_array(np.ascontiguousarray(square.T), "w_t"))
                nodes.append(helper.make_node("MatMul", [current, "w_t"], ["t_out"]))
                current = "t_out"
        if index % 50 == 0:
            inits.append(numpy_helper.from_array(shared, "shared"))
            nodes.append(helper.make_node("Gather", ["shared", "ids"], ["emb"]))
        graph = helper.make_graph(
            nodes, f"g{index}",
            inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, width])]
            + ([helper.make_tensor_value_info("ids", TensorProto.INT64, [1])]
               if index % 50 == 0 else []),
            outputs=[helper.make_tensor_value_info(current, TensorProto.FLOAT, [1, width])]
            + ([helper.make_tensor_value_info("emb", TensorProto.FLOAT, [1, 64])]
               if index % 50 == 0 else []),
            initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                  producer_name="onnx-tie-bench")
        model.ir_version = 8
        onnx.save(model, os.path.join(out, f"g{index:04d}.onnx"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "many"))
    parser.add_argument("--testdata", default="/usr/share/libonnx-testdata/data")
    args = parser.parse_args()
    for name, make in (("backend400", lambda d: backend(args.testdata, d)),
                       ("gpt2x50", gpt2), ("gen1000", generated)):
        folder = os.path.join(args.out, name)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        make(folder)
        files = os.listdir(folder)
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in files)
        print(f"{folder}: {len(files)} models, {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
