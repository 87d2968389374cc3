#!/usr/bin/env python3
"""Models for bench/transposed_ties.sh: where ONNX Runtime holds a weight twice.

Writes to OUT (default bench/out/transposed): five single-file models around one float32 weight
W [50257, 160] (30.7 MiB), each taking input_ids int64 [1, 8] (what bench/SessionRss.java feeds):

  single_transpose.onnx  W read by Transpose alone: h = MatMul(Cast(ids), P[8, 160]);
                         logits = MatMul(h, Transpose(W))
  single_gemm.onnx       the same head as Gemm(h, W, transB=1): what --form gemm would write
  pair_stored.onnx       W read by Gather, and a stored transposed copy Wt [160, 50257] read by
                         MatMul (as torch.onnx.export writes a tied head); onnx-tie's rewrite turns
                         it into the transpose form, rewrite --form gemm into the Gemm form
Deterministic (seeded numpy). Needs onnx and numpy.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

V, H = 50257, 160


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bench/transposed_ties.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("bench", "out", "transposed")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(19)
    w = (rng.standard_normal((V, H)) * 0.02).astype(np.float32)
    p = (rng.standard_normal((8, H)) * 0.02).astype(np.float32)
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, 8])

    # one reader: W is read by the Transpose (or the Gemm) only
    head = [
        helper.make_node("Cast", ["input_ids"], ["ids_f"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["ids_f", "P"], ["h"]),
    ]
    logits2 = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, V])
    save(helper.make_graph(head + [
        helper.make_node("Transpose", ["W"], ["Wt"], perm=[1, 0]),
        helper.make_node("MatMul", ["h", "Wt"], ["logits"]),
    ], "single_transpose", [ids], [logits2], [numpy_helper.from_array(w, "W"), numpy_helper.from_array(p, "P")]),
        os.path.join(out, "single_transpose.onnx"))
    save(helper.make_graph(head + [
        helper.make_node("Gemm", ["h", "W"], ["logits"], transB=1),
    ], "single_gemm", [ids], [logits2], [numpy_helper.from_array(w, "W"), numpy_helper.from_array(p, "P")]),
        os.path.join(out, "single_gemm.onnx"))

    # two readers: Gather(W) and the head, which reads a stored transposed copy
    logits3 = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 8, V])
    save(helper.make_graph([
        helper.make_node("Gather", ["W", "input_ids"], ["h"]),
        helper.make_node("MatMul", ["h", "Wt"], ["logits"]),
    ], "pair_stored", [ids], [logits3], [numpy_helper.from_array(w, "W"), numpy_helper.from_array(np.ascontiguousarray(w.T), "Wt")]),
        os.path.join(out, "pair_stored.onnx"))


if __name__ == "__main__":
    main()
