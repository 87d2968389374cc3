#!/usr/bin/python3
"""Writes the benchmark models into bench/out/ (deterministic: seeded numpy, onnx helpers).

  gpt2_small_tied.onnx   GPT-2-small-sized embedding + head, ~309 MB in one file. The head
                         initializer `onnx::MatMul_head` [768, 50257] is exactly `wte.weight`
                         [50257, 768] transposed, as torch.onnx.export leaves a tied lm_head.
  many_<N>.onnx          N initializers of 16x16 float32 (1 KiB each) read by a chain of Add
                         nodes; ~5% are identical copies and ~5% exact transposes of others.
  ladder_<G>g/model.onnx (+ model.onnx.data) the size ladder, external data: a float16 embedding
                         `wte.weight` [128256, H] read by Gather and its exact transpose
                         `onnx::MatMul_head` [H, 128256] read by MatMul, H chosen so that the model
                         is about G GB (1: H=1920, 3: H=5824, 4.3: H=8448, one 2.17 GB tensor and
                         its transpose, 4.33 GB in all). Written as raw bytes (numpy memmap, random
                         finite float16 bit patterns), a few seconds per GB.

Usage: /usr/bin/python3 bench/make_models.py [--only gpt2|many|ladder] [--many 1000,2500,5000]
                                             [--ladder 1,3,4.3] [--out DIR]
Ladder models are made only when --ladder is given (they take disk: about 8.6 GB for 1,3,4.3).
Needs onnx (tested with 1.12) and numpy. Prints each file written with its size.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # highest opset onnx 1.12 knows; ONNX Runtime 1.24 runs it
IR_VERSION = 8
VOCAB, HIDDEN = 50257, 768
MANY_COUNTS = (1000, 2500, 5000)
SIDE = 16  # many_<N>: each initializer is SIDE x SIDE float32


def make_model(graph):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="onnx-tie-bench")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)  # in-memory check: fine below 2 GiB
    return model


def gpt2_small_tied():
    """input_ids -> Gather(wte) -> Add(bias) -> MatMul(head = wte^T) -> logits."""
    rng = np.random.default_rng(20240601)
    wte = (rng.standard_normal((VOCAB, HIDDEN), dtype=np.float32) * np.float32(0.02))
    head = np.ascontiguousarray(wte.T)  # the exporter's duplicate: a transposed copy
    bias = (rng.standard_normal(HIDDEN, dtype=np.float32) * np.float32(0.02))
    nodes = [
        helper.make_node("Gather", ["wte.weight", "input_ids"], ["embeddings"], name="embed"),
        helper.make_node("Add", ["embeddings", "ln_f.bias"], ["hidden"], name="add_bias"),
        helper.make_node("MatMul", ["hidden", "onnx::MatMul_head"], ["logits"], name="lm_head"),
    ]
    graph = helper.make_graph(
        nodes, "gpt2_small_tied",
        inputs=[helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                               ["batch", "seq", VOCAB])],
        initializer=[numpy_helper.from_array(wte, "wte.weight"),
                     numpy_helper.from_array(bias, "ln_f.bias"),
                     numpy_helper.from_array(head, "onnx::MatMul_head")])
    return make_model(graph)


def many(count):
    """x[16,16] -> Add(w_0) -> ... -> Add(w_{count-1}) -> y; ~10% of the w_i duplicate others."""
    rng = np.random.default_rng(1000 + count)
    originals = []  # indexes of tensors that are not duplicates, to copy from
    tensors = []
    kinds = {"identical": 0, "transposed": 0}
    for index in range(count):
        roll = rng.random()
        if originals and roll < 0.05:
            source = tensors[originals[rng.integers(len(originals))]]
            tensors.append(source.copy())
            kinds["identical"] += 1
        elif originals and roll < 0.10:
            source = tensors[originals[rng.integers(len(originals))]]
            tensors.append(np.ascontiguousarray(source.T))
            kinds["transposed"] += 1
        else:
            tensors.append(rng.standard_normal((SIDE, SIDE), dtype=np.float32))
            originals.append(index)
    names = [f"w_{index}" for index in range(count)]
    nodes = []
    previous = "x"
    for index, name in enumerate(names):
        current = "y" if index == count - 1 else f"sum_{index}"
        nodes.append(helper.make_node("Add", [previous, name], [current], name=f"add_{index}"))
        previous = current
    graph = helper.make_graph(
        nodes, f"many_{count}",
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [SIDE, SIDE])],
        outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, [SIDE, SIDE])],
        initializer=[numpy_helper.from_array(t, n) for t, n in zip(tensors, names)])
    return make_model(graph), kinds


LADDER_VOCAB = 128256
LADDER_WIDTH = {"1": 1920, "3": 5824, "4.3": 8448}
ALIGN = 4096


def ladder(size, folder):
    """Writes ladder_<size>g/model.onnx and model.onnx.data: wte [V, H] float16 and its transpose."""
    vocab, width = LADDER_VOCAB, LADDER_WIDTH[size]
    os.makedirs(folder, exist_ok=True)
    data_path = os.path.join(folder, "model.onnx.data")
    nbytes = vocab * width * 2
    head_offset = (nbytes + ALIGN - 1) // ALIGN * ALIGN
    total = head_offset + nbytes
    rng = np.random.default_rng(4300 + width)
    with open(data_path, "wb") as f:
        f.truncate(total)
    wte = np.memmap(data_path, dtype=np.uint16, mode="r+", offset=0, shape=(vocab, width))
    head = np.memmap(data_path, dtype=np.uint16, mode="r+", offset=head_offset, shape=(width, vocab))
    block = max(1, (64 << 20) // (width * 2))
    for r0 in range(0, vocab, block):
        r1 = min(vocab, r0 + block)
        # finite float16 bit patterns: exponent below all-ones, random sign
        bits = rng.integers(0, 0x7C00, size=(r1 - r0, width), dtype=np.uint16)
        bits |= (rng.integers(0, 2, size=(r1 - r0, 1), dtype=np.uint16) << 15)
        wte[r0:r1] = bits
        head[:, r0:r1] = bits.T
    wte.flush()
    head.flush()
    del wte, head

    def external(name, dims, offset):
        tensor = TensorProto(name=name, data_type=TensorProto.FLOAT16, dims=dims,
                             data_location=TensorProto.EXTERNAL)
        for key, value in (("location", "model.onnx.data"), ("offset", str(offset)), ("length", str(nbytes))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        return tensor

    nodes = [
        helper.make_node("Gather", ["wte.weight", "input_ids"], ["hidden"], name="embed"),
        helper.make_node("MatMul", ["hidden", "onnx::MatMul_head"], ["logits"], name="lm_head"),
    ]
    graph = helper.make_graph(
        nodes, f"ladder_{size}g",
        inputs=[helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT16, ["batch", "seq", vocab])],
        initializer=[external("wte.weight", [vocab, width], 0), external("onnx::MatMul_head", [width, vocab], head_offset)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="onnx-tie-bench")
    model.ir_version = IR_VERSION
    path = os.path.join(folder, "model.onnx")
    onnx.save(model, path)
    onnx.checker.check_model(path)  # by path: resolves the external data beside it
    print(f"{path}: {os.path.getsize(path):,} bytes + {data_path}: {total:,} bytes "
          f"(wte.weight [{vocab}, {width}] float16 and its transpose)")


def save(model, path, note=""):
    onnx.save(model, path)
    print(f"{path}: {os.path.getsize(path):,} bytes {note}".rstrip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["gpt2", "many", "ladder"])
    parser.add_argument("--ladder", default="", help="comma-separated ladder sizes in GB (of " + ", ".join(LADDER_WIDTH) + ")")
    parser.add_argument("--many", default=",".join(map(str, MANY_COUNTS)),
                        help="comma-separated initializer counts of the many_<N> models")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.only in (None, "gpt2"):
        save(gpt2_small_tied(), os.path.join(args.out, "gpt2_small_tied.onnx"))
    if args.only in (None, "many"):
        for count in (int(text) for text in args.many.split(",")):
            model, kinds = many(count)
            save(model, os.path.join(args.out, f"many_{count}.onnx"),
                 f"({kinds['identical']} identical, {kinds['transposed']} transposed duplicates)")
    if args.only in (None, "ladder") and args.ladder:
        for size in args.ladder.split(","):
            if size not in LADDER_WIDTH:
                parser.error(f"ladder size {size}: choose from {', '.join(LADDER_WIDTH)}")
            ladder(size, os.path.join(args.out, f"ladder_{size}g"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
