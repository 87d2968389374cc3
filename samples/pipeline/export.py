#!/usr/bin/python3
"""Export a small GPT-2-style language model with a tied output head to ONNX.

    /usr/bin/python3 samples/pipeline/export.py OUT.onnx [--vocab N] [--seed S]

This is the export step of samples/pipeline/pipeline.sh, standing in for your own
export. The model is TinyGPT2 from samples/export_samples.py (the definition behind
samples/gpt2_tied): token embedding `wte`, 2 transformer blocks and an
`lm_head` whose weight IS `wte.weight`. torch.onnx.export writes the head as
MatMul(x, W^T) and constant folding stores W^T as a second initializer, so the
file holds the embedding twice: once as `wte.weight` [vocab, 64], once
transposed as `onnx::MatMul_<n>` [64, vocab]. `onnx-tie rewrite` removes that copy.

With the defaults (seed 1, vocab 1000) the export has the same weights as
samples/gpt2_tied/model.onnx.
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from export_samples import TinyGPT2, perturb_norms  # noqa: E402  (samples/export_samples.py)


def export(out, vocab=1000, seed=1):
    """Exports TinyGPT2 (seeded) to the .onnx file OUT, creating its folder."""
    torch.manual_seed(seed)
    model = TinyGPT2(vocab=vocab)
    perturb_norms(model, seed + 100)  # trained-like norms, as in samples/
    model.eval()
    assert model.lm_head.weight is model.wte.weight, "the head must be tied to the embedding"

    input_ids = torch.randint(0, vocab, (2, 8), generator=torch.Generator().manual_seed(seed + 200))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with torch.no_grad():
        # The usual export call: constant folding on (the default), dynamic batch and sequence.
        torch.onnx.export(model, (input_ids,), out, opset_version=14, do_constant_folding=True,
                          input_names=["input_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "logits": {0: "batch", 1: "sequence"}})


def main():
    parser = argparse.ArgumentParser(description="Export a tied GPT-2-style model to ONNX.")
    parser.add_argument("out", help="the .onnx file to write (its folder is created)")
    parser.add_argument("--vocab", type=int, default=1000, help="vocabulary size (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="weight seed (default 1)")
    args = parser.parse_args()
    export(args.out, args.vocab, args.seed)
    print("exported %s (%d bytes)" % (args.out, os.path.getsize(args.out)))


if __name__ == "__main__":
    main()
