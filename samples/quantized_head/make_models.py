#!/usr/bin/python3
"""Build the quantized-LM-head and dynamo-style tied models the onnx-tie tests use.

Run from the repository root with the Debian python (python3-onnx 1.12, numpy):

    /usr/bin/python3 samples/quantized_head/make_models.py

quantized_head/*.onnx: a tiny language model as onnxruntime-genai's model builder and
Microsoft Olive write it with a 4-bit tied embedding, before Olive's TieWordEmbeddings:

    input_ids ── GatherBlockQuantized(emb_q, emb_scales[, emb_zp]) ── Tanh ──
              ── MatMulNBits(head_q, head_scales[, head_zp]) ── logits

The weight W [V, K] is quantized once, round to nearest (RTN), 4 bits, block size 32 along K;
the embedding holds the packed codes as uint8 [V, K/2] and the head as MatMulNBits' B
uint8 [V, K/32, 16]: the same bytes in another shape. Scales (float) and zero points (uint8,
two 4-bit values per byte) are [V, K/32] and [V, ceil(K/32/2)] for the embedding; the head
holds them in the 2-D layout (scales2d_*) or in the 1-D layout [V*K/32] (scales1d_*).
Files: scales2d_zp.onnx, scales2d_nozp.onnx, scales1d_zp.onnx, scales1d_nozp.onnx.

dynamo_tied/model.onnx: a tied embedding as torch's dynamo exporter writes it for large
weights: the head reads Transpose(W) instead of a folded copy.

    input_ids ── Gather(W) ── Tanh ── MatMul(·, Transpose(W)) ── logits

Deterministic (fixed seed): running it twice writes byte-identical files.

    /usr/bin/python3 samples/quantized_head/make_models.py --dynamo OUT.onnx VOCAB HIDDEN

writes only the dynamo-style model with a [VOCAB, HIDDEN] weight (for the session-memory
measurement: 32000 512 gives the 62.5 MiB weight of the issue).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
V, K, BLOCK = 512, 128, 32
NB = K // BLOCK


def quantize(w, with_zero_points):
    """RTN 4-bit, blocks of 32 along the last axis: codes [V, K], scales [V, NB], zero points [V, NB]."""
    blocks = w.reshape(V, NB, BLOCK)
    if with_zero_points:
        lo = np.minimum(blocks.min(axis=2), 0)
        hi = np.maximum(blocks.max(axis=2), 0)
        scales = ((hi - lo) / 15).astype(np.float32)
        scales[scales == 0] = 1
        zp = np.clip(np.round(-lo / scales), 0, 15).astype(np.uint8)
    else:
        scales = (np.abs(blocks).max(axis=2) / 7).astype(np.float32)
        scales[scales == 0] = 1
        zp = np.full((V, NB), 8, np.uint8)
    codes = np.clip(np.round(blocks / scales[:, :, None]) + zp[:, :, None], 0, 15).astype(np.uint8)
    return codes.reshape(V, K), scales, zp


def pack(codes):
    """Two 4-bit codes per byte along the last axis, low nibble first (odd counts padded)."""
    if codes.shape[-1] % 2:
        codes = np.concatenate([codes, np.zeros(codes.shape[:-1] + (1,), np.uint8)], axis=-1)
    return (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)


def quantized_model(layout, with_zero_points):
    rng = np.random.default_rng(10)
    w = rng.standard_normal((V, K)).astype(np.float32) * 0.05
    codes, scales, zp = quantize(w, with_zero_points)
    packed = pack(codes)  # [V, K/2]
    zp_packed = pack(zp)  # [V, ceil(NB/2)]
    inits = [numpy_helper.from_array(packed, "model.embed_tokens.qweight"),
             numpy_helper.from_array(scales, "model.embed_tokens.scales"),
             numpy_helper.from_array(packed.reshape(V, NB, BLOCK // 2).copy(), "lm_head.MatMul.weight_Q4"),
             numpy_helper.from_array(scales if layout == 2 else scales.reshape(-1), "lm_head.MatMul.weight_scales")]
    gather_inputs = ["model.embed_tokens.qweight", "input_ids", "model.embed_tokens.scales"]
    head_inputs = ["hidden", "lm_head.MatMul.weight_Q4", "lm_head.MatMul.weight_scales"]
    if with_zero_points:
        inits.append(numpy_helper.from_array(zp_packed, "model.embed_tokens.qzeros"))
        inits.append(numpy_helper.from_array(zp_packed if layout == 2 else zp_packed.reshape(-1), "lm_head.MatMul.weight_zp"))
        gather_inputs.append("model.embed_tokens.qzeros")
        head_inputs.append("lm_head.MatMul.weight_zp")
    nodes = [
        helper.make_node("GatherBlockQuantized", gather_inputs, ["embedded"], name="/model/embed_tokens/GatherBlockQuantized",
                         domain="com.microsoft", bits=4, block_size=BLOCK, gather_axis=0, quantize_axis=1),
        helper.make_node("Tanh", ["embedded"], ["hidden"], name="/model/Tanh"),
        helper.make_node("MatMulNBits", head_inputs, ["logits"], name="/lm_head/MatMulNBits", domain="com.microsoft",
                         K=K, N=V, bits=4, block_size=BLOCK, accuracy_level=0),
    ]
    graph = helper.make_graph(
        nodes, "quantized_tied_head",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", V])],
        inits)
    model = helper.make_model(graph, producer_name="onnx-tie samples", opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    return model


def dynamo_model(vocab=V, hidden=K):
    rng = np.random.default_rng(11)
    w = rng.standard_normal((vocab, hidden)).astype(np.float32) * 0.05
    nodes = [
        helper.make_node("Gather", ["model.embed_tokens.weight", "input_ids"], ["embedded"], name="node_embedding"),
        helper.make_node("Tanh", ["embedded"], ["hidden"], name="node_tanh"),
        helper.make_node("Transpose", ["model.embed_tokens.weight"], ["val_3"], name="node_transpose", perm=[1, 0]),
        helper.make_node("MatMul", ["hidden", "val_3"], ["logits"], name="node_matmul"),
    ]
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", vocab])],
        [numpy_helper.from_array(w, "model.embed_tokens.weight")],
        value_info=[helper.make_tensor_value_info("val_3", TensorProto.FLOAT, [hidden, vocab])])
    model = helper.make_model(graph, producer_name="pytorch", producer_version="2.5.0",
                              opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--dynamo":
        onnx.save(dynamo_model(int(sys.argv[3]), int(sys.argv[4])), sys.argv[2])
        return
    for layout in (2, 1):
        for with_zero_points in (True, False):
            name = "scales%dd_%s.onnx" % (layout, "zp" if with_zero_points else "nozp")
            onnx.save(quantized_model(layout, with_zero_points), os.path.join(HERE, name))
    onnx.save(dynamo_model(), os.path.join(HERE, "..", "dynamo_tied", "model.onnx"))


if __name__ == "__main__":
    main()
