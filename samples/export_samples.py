#!/usr/bin/python3
"""Export the real ONNX sample models used by the onnx-tie tests.

Run from the repository root with the Debian python (torch 1.13.1, onnx 1.12.0):

    /usr/bin/python3 samples/export_samples.py

Everything is written below samples/ (next to this script):

  * one directory per sample holding model.onnx (and for gpt2_external the
    external data file model.onnx.data; seq2seq_split holds three models),
  * expected_ties.json: for every model, the exact duplicate / transposed
    initializer pairs found by an exhaustive numpy comparison,
  * README.md: what each sample is, its inputs/outputs, all initializers and
    the tie pairs (generated, do not edit by hand).

All models are exported with torch.onnx.export(opset_version=14,
do_constant_folding=True): constant folding turns the Transpose that reads a
tied weight (nn.Linear / F.linear on a 3-D activation) into a second, folded
initializer, which is exactly the redundancy onnx-tie removes.

The exports are deterministic: fixed seeds, fixed dummy inputs, every output
directory is wiped before it is written. Running the script twice gives
byte-identical files.

Besides onnx.checker.check_model(full_check=True), every exported graph is
run by a small numpy interpreter (below) on two input sizes (the export size
and a different batch/sequence size, to exercise the dynamic axes) and
compared with the PyTorch output.
"""

import io
import itertools
import json
import math
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper, TensorProto

OPSET = 14
MIN_TIE_BYTES = 64
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

warnings.filterwarnings("ignore")
torch.set_num_threads(1)  # determinism of the reference outputs


# ---------------------------------------------------------------------------
# helpers shared by the models
# ---------------------------------------------------------------------------

def perturb_norms(model, seed):
    """Give every LayerNorm / RMSNorm 'trained' (random) parameters.

    Freshly initialised norms are all ones / all zeros, which would make every
    norm weight of a model an exact copy of every other one. Real checkpoints do
    not look like that, and the samples should only contain the ties we mean.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.LayerNorm, RMSNorm)):
                m.weight.copy_(1.0 + 0.1 * torch.randn(m.weight.shape, generator=g))
                if getattr(m, "bias", None) is not None:
                    m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))


class RMSNorm(nn.Module):
    """T5 layer norm: no mean subtraction, no bias."""

    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def split_heads(x, n_head):
    b, t, c = x.shape
    return x.reshape(b, t, n_head, c // n_head).transpose(1, 2)


def merge_heads(x):
    b, h, t, d = x.shape
    return x.transpose(1, 2).reshape(b, t, h * d)


def causal_mask(t_q, t_k, offset=None):
    """True where query i may NOT look at key j (j > i + offset)."""
    q = torch.arange(t_q)
    if offset is not None:
        q = q + offset
    k = torch.arange(t_k)
    return k.unsqueeze(0) > q.unsqueeze(1)


# ---------------------------------------------------------------------------
# GPT-2 style causal LM (samples 1, 6, 7)
# ---------------------------------------------------------------------------

class GPT2Attention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)

    def forward(self, x):
        c = x.shape[-1]
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (split_heads(t, self.n_head) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.n_head)
        t = x.shape[1]
        att = att.masked_fill(causal_mask(t, t), float("-inf"))
        att = att.softmax(dim=-1)
        return self.c_proj(merge_heads(att @ v))


class GPT2Block(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = GPT2Attention(d, n_head)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)
        self.act = nn.GELU()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(self.act(self.mlp_fc(self.ln_2(x))))


class TinyGPT2(nn.Module):
    def __init__(self, vocab=1000, d=64, n_layer=2, n_head=4, n_pos=64):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(n_pos, d)
        self.h = nn.ModuleList([GPT2Block(d, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied
        for emb in (self.wte, self.wpe):
            nn.init.normal_(emb.weight, std=0.02)

    def forward(self, input_ids):
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


# ---------------------------------------------------------------------------
# T5 style encoder-decoder with one shared embedding (sample 2)
# ---------------------------------------------------------------------------

class T5Attention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.o = nn.Linear(d, d, bias=False)

    def forward(self, x, kv, bias=None, mask=None):
        q = split_heads(self.q(x), self.n_head)
        k = split_heads(self.k(kv), self.n_head)
        v = split_heads(self.v(kv), self.n_head)
        att = q @ k.transpose(-2, -1)  # T5 does not scale
        if bias is not None:
            att = att + bias
        if mask is not None:
            att = att.masked_fill(mask, float("-inf"))
        return self.o(merge_heads(att.softmax(dim=-1) @ v))


class T5FF(nn.Module):
    def __init__(self, d, d_ff):
        super().__init__()
        self.wi = nn.Linear(d, d_ff, bias=False)
        self.wo = nn.Linear(d_ff, d, bias=False)

    def forward(self, x):
        return self.wo(torch.relu(self.wi(x)))


class T5EncoderLayer(nn.Module):
    def __init__(self, d, n_head, d_ff):
        super().__init__()
        self.ln_attn = RMSNorm(d)
        self.attn = T5Attention(d, n_head)
        self.ln_ff = RMSNorm(d)
        self.ff = T5FF(d, d_ff)

    def forward(self, x, bias):
        h = self.ln_attn(x)
        x = x + self.attn(h, h, bias=bias)
        return x + self.ff(self.ln_ff(x))


class T5DecoderLayer(nn.Module):
    def __init__(self, d, n_head, d_ff):
        super().__init__()
        self.ln_self = RMSNorm(d)
        self.self_attn = T5Attention(d, n_head)
        self.ln_cross = RMSNorm(d)
        self.cross_attn = T5Attention(d, n_head)
        self.ln_ff = RMSNorm(d)
        self.ff = T5FF(d, d_ff)

    def forward(self, x, enc, bias, mask):
        h = self.ln_self(x)
        x = x + self.self_attn(h, h, bias=bias, mask=mask)
        x = x + self.cross_attn(self.ln_cross(x), enc)
        return x + self.ff(self.ln_ff(x))


class RelativeBias(nn.Module):
    """Simplified T5 relative position bias: clipped distance -> per-head bias."""

    def __init__(self, n_head, max_distance=8):
        super().__init__()
        self.max_distance = max_distance
        self.rel = nn.Embedding(2 * max_distance + 1, n_head)

    def forward(self, t):
        pos = torch.arange(t)
        dist = pos.unsqueeze(0) - pos.unsqueeze(1)
        dist = dist.clamp(-self.max_distance, self.max_distance) + self.max_distance
        return self.rel(dist).permute(2, 0, 1).unsqueeze(0)


class TinyT5(nn.Module):
    def __init__(self, vocab=800, d=48, n_layer=2, n_head=4, d_ff=96):
        super().__init__()
        self.d = d
        self.shared = nn.Embedding(vocab, d)
        self.encoder_bias = RelativeBias(n_head)
        self.encoder_layers = nn.ModuleList([T5EncoderLayer(d, n_head, d_ff) for _ in range(n_layer)])
        self.encoder_norm = RMSNorm(d)
        self.decoder_bias = RelativeBias(n_head)
        self.decoder_layers = nn.ModuleList([T5DecoderLayer(d, n_head, d_ff) for _ in range(n_layer)])
        self.decoder_norm = RMSNorm(d)

    def forward(self, input_ids, decoder_input_ids):
        x = self.shared(input_ids)  # encoder.embed_tokens is the shared module
        bias = self.encoder_bias(input_ids.shape[1])
        for layer in self.encoder_layers:
            x = layer(x, bias)
        enc = self.encoder_norm(x)

        t = decoder_input_ids.shape[1]
        y = self.shared(decoder_input_ids)  # decoder.embed_tokens is the shared module
        bias = self.decoder_bias(t)
        mask = causal_mask(t, t)
        for layer in self.decoder_layers:
            y = layer(y, enc, bias, mask)
        y = self.decoder_norm(y) * (self.d ** -0.5)
        return F.linear(y, self.shared.weight)  # tied lm head


# ---------------------------------------------------------------------------
# BERT style encoder with masked-LM head (sample 3)
# ---------------------------------------------------------------------------

class BertLayer(nn.Module):
    def __init__(self, d, n_head, d_ff):
        super().__init__()
        self.n_head = n_head
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)
        self.attn_out = nn.Linear(d, d)
        self.attn_norm = nn.LayerNorm(d, eps=1e-12)
        self.intermediate = nn.Linear(d, d_ff)
        self.output = nn.Linear(d_ff, d)
        self.out_norm = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x, ext_mask):
        c = x.shape[-1]
        q, k, v = (split_heads(f(x), self.n_head) for f in (self.query, self.key, self.value))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.n_head) + ext_mask
        ctx = merge_heads(att.softmax(dim=-1) @ v)
        x = self.attn_norm(x + self.attn_out(ctx))
        return self.out_norm(x + self.output(F.gelu(self.intermediate(x))))


class TinyBertForMaskedLM(nn.Module):
    def __init__(self, vocab=900, d=64, n_layer=2, n_head=4, d_ff=128, n_pos=64, n_type=2):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(n_pos, d)
        self.token_type_embeddings = nn.Embedding(n_type, d)
        self.emb_norm = nn.LayerNorm(d, eps=1e-12)
        self.layers = nn.ModuleList([BertLayer(d, n_head, d_ff) for _ in range(n_layer)])
        # cls.predictions: transform (dense + gelu + LayerNorm) then decoder
        self.transform_dense = nn.Linear(d, d)
        self.transform_norm = nn.LayerNorm(d, eps=1e-12)
        self.decoder = nn.Linear(d, vocab)  # keeps its own bias [vocab]
        self.decoder.weight = self.word_embeddings.weight  # tied
        for emb in (self.word_embeddings, self.position_embeddings, self.token_type_embeddings):
            nn.init.normal_(emb.weight, std=0.02)

    def forward(self, input_ids, attention_mask, token_type_ids):
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = (self.word_embeddings(input_ids) + self.position_embeddings(pos)
             + self.token_type_embeddings(token_type_ids))
        x = self.emb_norm(x)
        ext = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, ext)
        h = self.transform_norm(F.gelu(self.transform_dense(x)))
        return self.decoder(h)


# ---------------------------------------------------------------------------
# tied autoencoders (samples 4, 5) and plain encoders (sample 8)
# ---------------------------------------------------------------------------

class TiedAutoencoder(nn.Module):
    """The Keras 'DenseTied' example: Dense(5, relu) encoder, decoder uses the
    transpose of the encoder kernel plus its own bias, sigmoid.

    In PyTorch terms the encoder kernel is enc.weight.t() ([in, out], what
    Keras stores) and the decoder computes h @ enc.weight. The encoder is
    written as x @ enc.weight.t() + enc.bias (numerically identical to enc(x)):
    with enc(x) on a 2-D input the exporter emits Gemm(transB=1) reading
    enc.weight directly, the decoder MatMul reads enc.weight too, and the file
    holds only ONE copy. Written like this the encoder's Transpose is folded
    into a second initializer, which is what a Keras/tf2onnx export of the
    tied model looks like.
    """

    def __init__(self, n=5):
        super().__init__()
        self.enc = nn.Linear(n, n)
        self.dec_bias = nn.Parameter(0.1 * torch.randn(n))

    def forward(self, x):
        h = torch.relu(x @ self.enc.weight.t() + self.enc.bias)
        return torch.sigmoid(h @ self.enc.weight + self.dec_bias)


class DeepTiedAutoencoder(nn.Module):
    """64 -> 32 -> 16 -> 8 (tanh) and back; decoder i uses encoder i's weight
    (transposed relative to the encoder) plus its own bias; tanh on the hidden
    decoder layers, linear output."""

    def __init__(self, sizes=(64, 32, 16, 8)):
        super().__init__()
        self.enc = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.dec_bias = nn.ParameterList(
            [nn.Parameter(0.1 * torch.randn(a)) for a in reversed(sizes[:-1])])

    def forward(self, x):
        for lin in self.enc:
            x = torch.tanh(x @ lin.weight.t() + lin.bias)
        n = len(self.enc)
        for i, lin in enumerate(reversed(self.enc)):
            x = x @ lin.weight + self.dec_bias[i]
            if i < n - 1:
                x = torch.tanh(x)
        return x


class KerasEncoder(nn.Module):
    """A single Dense(5, relu) layer, nothing else (nn.Linear + relu)."""

    def __init__(self, n=5):
        super().__init__()
        self.dense = nn.Linear(n, n)

    def forward(self, x):
        return torch.relu(self.dense(x))


class MLPEncoder(nn.Module):
    """64 -> 32 -> 16 -> 8 with tanh after every layer (nn.Linear)."""

    def __init__(self, sizes=(64, 32, 16, 8)):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        for lin in self.layers:
            x = torch.tanh(lin(x))
        return x


# ---------------------------------------------------------------------------
# small encoder-decoder exported as three models (sample 9)
# ---------------------------------------------------------------------------

class S2SAttention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def project_kv(self, kv):
        return split_heads(self.k_proj(kv), self.n_head), split_heads(self.v_proj(kv), self.n_head)

    def attend(self, x, k, v, mask=None):
        q = split_heads(self.q_proj(x), self.n_head)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        if mask is not None:
            att = att.masked_fill(mask, float("-inf"))
        return self.out_proj(merge_heads(att.softmax(dim=-1) @ v))


class Seq2Seq(nn.Module):
    """BART/Marian-like: shared embedding for encoder, decoder and lm head;
    learned positions; one encoder and one decoder layer (post-norm)."""

    def __init__(self, vocab=700, d=32, n_head=2, d_ff=64, n_pos=64):
        super().__init__()
        self.d = d
        self.shared = nn.Embedding(vocab, d)
        nn.init.normal_(self.shared.weight, std=0.02)
        self.enc_pos = nn.Embedding(n_pos, d)
        self.enc_attn = S2SAttention(d, n_head)
        self.enc_attn_norm = nn.LayerNorm(d)
        self.enc_fc1 = nn.Linear(d, d_ff)
        self.enc_fc2 = nn.Linear(d_ff, d)
        self.enc_ff_norm = nn.LayerNorm(d)
        self.dec_pos = nn.Embedding(n_pos, d)
        self.dec_self_attn = S2SAttention(d, n_head)
        self.dec_self_norm = nn.LayerNorm(d)
        self.dec_cross_attn = S2SAttention(d, n_head)
        self.dec_cross_norm = nn.LayerNorm(d)
        self.dec_fc1 = nn.Linear(d, d_ff)
        self.dec_fc2 = nn.Linear(d_ff, d)
        self.dec_ff_norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.shared.weight  # tied

    def encode(self, input_ids):
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.shared(input_ids) * math.sqrt(self.d) + self.enc_pos(pos)
        k, v = self.enc_attn.project_kv(x)
        x = self.enc_attn_norm(x + self.enc_attn.attend(x, k, v))
        return self.enc_ff_norm(x + self.enc_fc2(F.gelu(self.enc_fc1(x))))

    def decode(self, decoder_input_ids, encoder_hidden_states, past_key=None, past_value=None):
        t = decoder_input_ids.shape[1]
        if past_key is None:
            past_len = None
            pos = torch.arange(t)
        else:
            past_len = past_key.shape[2]
            pos = torch.arange(t) + past_len
        y = self.shared(decoder_input_ids) * math.sqrt(self.d) + self.dec_pos(pos.unsqueeze(0))
        k, v = self.dec_self_attn.project_kv(y)
        if past_key is not None:
            k = torch.cat([past_key, k], dim=2)
            v = torch.cat([past_value, v], dim=2)
        mask = causal_mask(t, k.shape[2], offset=past_len)
        y = self.dec_self_norm(y + self.dec_self_attn.attend(y, k, v, mask))
        ck, cv = self.dec_cross_attn.project_kv(encoder_hidden_states)
        y = self.dec_cross_norm(y + self.dec_cross_attn.attend(y, ck, cv))
        y = self.dec_ff_norm(y + self.dec_fc2(F.gelu(self.dec_fc1(y))))
        return self.lm_head(y), k, v


class S2SEncoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model.encode(input_ids)


class S2SDecoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, decoder_input_ids, encoder_hidden_states):
        return self.model.decode(decoder_input_ids, encoder_hidden_states)


class S2SDecoderWithPast(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, decoder_input_ids, encoder_hidden_states, past_key, past_value):
        return self.model.decode(decoder_input_ids, encoder_hidden_states, past_key, past_value)


# ---------------------------------------------------------------------------
# a small numpy ONNX interpreter, only to verify the exported graphs
# (onnxruntime is not installed here and onnx 1.12 has no onnx.reference)
# ---------------------------------------------------------------------------

NP_TYPE = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _axes(axes, rank):
    return [int(a) + rank if a < 0 else int(a) for a in axes]


def _int_div(a, b):
    q = np.abs(a) // np.abs(b)
    return (q * np.sign(a) * np.sign(b)).astype(a.dtype)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _op(op, x, at):
    """Evaluate one node; x: list of inputs (None for omitted), at: attributes."""
    if op == "Identity":
        return [x[0]]
    if op == "Constant":
        if "value" in at:
            return [numpy_helper.to_array(at["value"])]
        raise NotImplementedError("Constant without tensor value")
    if op in ("Add", "Sub", "Mul", "Div", "Pow"):
        a, b = x
        if op == "Div" and np.issubdtype(a.dtype, np.integer):
            return [_int_div(a, b)]
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
             "Div": np.divide, "Pow": np.power}[op]
        return [np.asarray(f(a, b)).astype(a.dtype)]
    if op in ("Greater", "Less", "Equal"):
        f = {"Greater": np.greater, "Less": np.less, "Equal": np.equal}[op]
        return [f(x[0], x[1])]
    if op in ("Sqrt", "Relu", "Tanh", "Sigmoid", "Neg", "Reciprocal", "Erf", "Not", "Exp"):
        a = x[0]
        r = {"Sqrt": np.sqrt, "Relu": lambda v: np.maximum(v, 0), "Tanh": np.tanh,
             "Sigmoid": lambda v: 1 / (1 + np.exp(-v)), "Neg": np.negative,
             "Reciprocal": lambda v: 1 / v, "Erf": _erf, "Not": np.logical_not,
             "Exp": np.exp}[op](a)
        return [np.asarray(r).astype(a.dtype)]
    if op == "MatMul":
        return [np.matmul(x[0], x[1])]
    if op == "Gemm":
        a, b = x[0], x[1]
        if at.get("transA", 0):
            a = a.T
        if at.get("transB", 0):
            b = b.T
        y = at.get("alpha", 1.0) * (a @ b)
        if len(x) > 2 and x[2] is not None:
            y = y + at.get("beta", 1.0) * x[2]
        return [y.astype(x[0].dtype)]
    if op == "Where":
        return [np.where(x[0], x[1], x[2])]
    if op == "Softmax":
        a = x[0]
        e = np.exp(a - a.max(axis=at.get("axis", -1), keepdims=True))
        return [(e / e.sum(axis=at.get("axis", -1), keepdims=True)).astype(a.dtype)]
    if op == "ReduceMean":
        a = x[0]
        axes = tuple(_axes(at["axes"], a.ndim)) if "axes" in at else None
        return [np.mean(a, axis=axes, keepdims=bool(at.get("keepdims", 1))).astype(a.dtype)]
    if op == "Shape":
        return [np.array(x[0].shape, dtype=np.int64)]
    if op == "Gather":
        return [np.take(x[0], x[1], axis=at.get("axis", 0))]
    if op == "Unsqueeze":
        a = x[0]
        axes = sorted(_axes(x[1].tolist(), a.ndim + len(x[1])))
        for ax in axes:
            a = np.expand_dims(a, ax)
        return [a]
    if op == "Squeeze":
        a = x[0]
        if len(x) > 1 and x[1] is not None:
            return [np.squeeze(a, axis=tuple(_axes(x[1].tolist(), a.ndim)))]
        return [np.squeeze(a)]
    if op == "Concat":
        return [np.concatenate(x, axis=at["axis"])]
    if op == "Reshape":
        a, shape = x[0], x[1].tolist()
        if not at.get("allowzero", 0):
            shape = [a.shape[i] if d == 0 else d for i, d in enumerate(shape)]
        return [a.reshape(shape)]
    if op == "Transpose":
        return [np.transpose(x[0], at.get("perm"))]
    if op == "Range":
        return [np.arange(x[0], x[1], x[2]).astype(x[0].dtype)]
    if op == "Split":
        a, axis = x[0], at.get("axis", 0)
        if len(x) > 1 and x[1] is not None:
            idx = np.cumsum(x[1])[:-1]
        else:
            raise NotImplementedError("Split without sizes")
        return list(np.split(a, idx, axis=axis))
    if op == "Cast":
        return [x[0].astype(NP_TYPE[at["to"]])]
    if op == "Clip":
        a = x[0]
        lo = x[1] if len(x) > 1 and x[1] is not None else None
        hi = x[2] if len(x) > 2 and x[2] is not None else None
        return [np.clip(a, lo, hi).astype(a.dtype)]
    if op == "Expand":
        shape = np.broadcast_shapes(x[0].shape, tuple(x[1].tolist()))
        return [np.broadcast_to(x[0], shape).copy()]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
        return [np.full(tuple(x[0].tolist()), v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Slice":
        a, starts, ends = x[0], x[1], x[2]
        axes = x[3].tolist() if len(x) > 3 and x[3] is not None else list(range(len(starts)))
        steps = x[4].tolist() if len(x) > 4 and x[4] is not None else [1] * len(starts)
        sl = [slice(None)] * a.ndim
        for s, e, ax, st in zip(starts.tolist(), ends.tolist(), _axes(axes, a.ndim), steps):
            sl[ax] = slice(s, e, st)
        return [a[tuple(sl)]]
    raise NotImplementedError(op)


def run_onnx(model, feeds):
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        args = [env[i] if i else None for i in node.input]
        outs = _op(node.op_type, args, _attrs(node))
        for name, val in zip(node.output, outs):
            env[name] = np.asarray(val)
    return [env[o.name] for o in model.graph.output]


# ---------------------------------------------------------------------------
# initializer analysis: exact identical / transposed pairs
# ---------------------------------------------------------------------------

def dtype_name(t):
    return TensorProto.DataType.Name(t.data_type)


def external_locations(path):
    """name -> 'external <file> offset=<o> length=<n>' for tensors stored outside path."""
    m = onnx.load(path, load_external_data=False)
    out = {}
    for t in m.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            kv = {e.key: e.value for e in t.external_data}
            out[t.name] = "external %s offset=%s length=%s" % (
                kv.get("location"), kv.get("offset", "0"), kv.get("length"))
    return out


def initializer_rows(model, locs=None):
    rows = []
    for t in model.graph.initializer:
        a = numpy_helper.to_array(t)
        loc = (locs or {}).get(t.name, "inline")
        rows.append({"name": t.name, "dtype": dtype_name(t), "shape": list(a.shape),
                     "bytes": int(a.nbytes), "location": loc})
    return rows


def find_ties(model):
    """Every pair (a before b in graph.initializer order) of equal dtype and
    element count, at least MIN_TIE_BYTES, where b == a (identical, same shape)
    or b == np.transpose(a, perm) for some non-identity perm (rank <= 4).
    Comparison is on the raw bytes, so it is exact (bitwise)."""
    inits = [(t.name, t.data_type, numpy_helper.to_array(t)) for t in model.graph.initializer]
    ties, other = [], []
    for (na, ta, a), (nb, tb, b) in itertools.combinations(inits, 2):
        if ta != tb or a.size != b.size or a.nbytes < MIN_TIE_BYTES:
            continue
        bb = np.ascontiguousarray(b).tobytes()
        if a.shape == b.shape and np.ascontiguousarray(a).tobytes() == bb:
            ties.append({"a": na, "b": nb, "relation": "identical",
                         "perm": list(range(a.ndim)), "bytes": int(a.nbytes)})
            continue
        found = False
        if a.ndim == b.ndim and 2 <= a.ndim <= 4:
            for perm in itertools.permutations(range(a.ndim)):
                if list(perm) == list(range(a.ndim)):
                    continue
                p = np.transpose(a, perm)
                if p.shape == b.shape and np.ascontiguousarray(p).tobytes() == bb:
                    ties.append({"a": na, "b": nb, "relation": "transpose",
                                 "perm": list(perm), "bytes": int(a.nbytes)})
                    found = True
                    break
        if not found and np.ascontiguousarray(a).tobytes() == bb:
            other.append((na, nb, "same bytes, different shape %s vs %s" % (list(a.shape), list(b.shape))))
    return ties, other


# ---------------------------------------------------------------------------
# export / post-processing
# ---------------------------------------------------------------------------

def torch_export(module, args, input_names, output_names, dynamic_axes):
    """torch.onnx.export into memory; the exporter runs its own
    onnx checker on the result (torch.onnx.export raises if it fails)."""
    module.eval()
    f = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, args, f, opset_version=OPSET, do_constant_folding=True,
                          input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes)
    return onnx.load_model_from_string(f.getvalue())


def convert_to_fp16(model, note):
    """Turn a float32 export into the float16 graph model.half() would give:
    every FLOAT initializer / Constant / ConstantOfShape tensor becomes
    FLOAT16 (numpy astype, round-to-nearest-even), Cast(to=FLOAT) becomes
    Cast(to=FLOAT16), and FLOAT graph inputs / outputs / value_info become
    FLOAT16. Node structure and names are unchanged. Since a transposed copy is
    a permutation of the same values, the fp16 copies stay exact transposes."""
    m = onnx.ModelProto()
    m.CopyFrom(model)

    def conv(t):
        if t.data_type == TensorProto.FLOAT:
            arr = numpy_helper.to_array(t).astype(np.float16)
            t.CopyFrom(numpy_helper.from_array(arr, t.name))

    for t in m.graph.initializer:
        conv(t)
    for node in m.graph.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                conv(a.t)
            elif a.type == onnx.AttributeProto.GRAPH:
                raise NotImplementedError("subgraphs")
            if node.op_type == "Constant" and a.name != "value":
                raise NotImplementedError("Constant with %s" % a.name)
            if node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    for vi in itertools.chain(m.graph.input, m.graph.output, m.graph.value_info):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    m.doc_string = note
    return m


def verify(model, module, cases, tol):
    """Run the ONNX graph with the numpy interpreter on each case (a tuple of
    torch inputs) and compare with the torch module; returns max rel error."""
    worst = 0.0
    module.eval()
    for args in cases:
        with torch.no_grad():
            ref = module(*args)
        ref = ref if isinstance(ref, (tuple, list)) else (ref,)
        feeds = {i.name: a.numpy() for i, a in zip(model.graph.input, args)}
        got = run_onnx(model, feeds)
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            r = r.numpy()
            assert g.shape == r.shape, (g.shape, r.shape)
            err = float(np.max(np.abs(g.astype(np.float64) - r)) / (np.max(np.abs(r)) + 1e-12))
            worst = max(worst, err)
    if worst > tol:
        raise AssertionError("onnx/torch mismatch: max rel err %.3g > %.3g" % (worst, tol))
    return worst


def fresh_dir(rel):
    d = os.path.join(HERE, rel)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def ids(gen, vocab, *shape):
    return torch.randint(0, vocab, shape, generator=gen, dtype=torch.int64)


def fp16_rounded(module):
    """A float32 copy of module whose parameters are rounded to float16 (the
    reference for the fp16 graph)."""
    import copy
    m = copy.deepcopy(module)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.half().float())
    return m


# ---------------------------------------------------------------------------
# the samples
# ---------------------------------------------------------------------------

RESULTS = []        # one dict per written model file, in order
CROSS = []          # (title, [rel paths]) groups compared across files
FINDINGS = []       # exporter behaviour noticed while building (for README)


def finish(rel, proto, module, cases, tol, title, about, notes=(), external=False):
    """Write proto to samples/rel, check it, verify it, analyse it."""
    path = os.path.join(HERE, rel)
    if external:
        m = onnx.ModelProto()
        m.CopyFrom(proto)
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx.data", size_threshold=1024)
    else:
        onnx.save_model(proto, path)
    onnx.checker.check_model(path, full_check=True)
    loaded = onnx.load(path)  # loads external data too
    err = verify(loaded, module, cases, tol)
    ties, other = find_ties(loaded)
    files = sorted(f for f in os.listdir(os.path.dirname(path))
                   if f == os.path.basename(path) or f.startswith(os.path.basename(path) + "."))
    RESULTS.append({
        "locs": external_locations(path),
        "rel": "samples/" + rel, "title": title, "about": about, "notes": list(notes),
        "model": loaded, "ties": ties, "other": other, "err": err,
        "files": [(f, os.path.getsize(os.path.join(os.path.dirname(path), f))) for f in files],
        "cases": [[list(a.shape) for a in c] for c in cases],
    })
    return loaded, ties


def require(ties, a, relation, b_shape=None, model=None):
    """Fail loudly if the tie we built the sample for is not in the export."""
    shapes = {t.name: list(t.dims) for t in model.graph.initializer}
    for t in ties:
        if t["a"] == a and t["relation"] == relation and (b_shape is None or shapes[t["b"]] == b_shape):
            return t
    raise AssertionError("expected %s copy of %s %s not found: %s" % (relation, a, b_shape, ties))


def seq_axes(*names, **extra):
    d = {n: {0: "batch", 1: "sequence"} for n in names}
    d.update(extra)
    return d


def export_gpt2(seed, vocab):
    torch.manual_seed(seed)
    model = TinyGPT2(vocab=vocab)
    perturb_norms(model, seed + 100)
    gen = torch.Generator().manual_seed(seed + 200)
    cases = [(ids(gen, vocab, 2, 8),), (ids(gen, vocab, 3, 5),)]
    proto = torch_export(model, cases[0], ["input_ids"], ["logits"],
                         seq_axes("input_ids", "logits"))
    return model, proto, cases


GPT2_ABOUT = (
    "Tiny GPT-2 style causal LM: token embedding `wte` [{v},64] and position embedding "
    "`wpe` [64,64] (nn.Embedding), 2 pre-LayerNorm transformer blocks (fused qkv "
    "nn.Linear(64,192), nn.Linear proj, GELU MLP 64->256->64, 4 heads, causal mask), final "
    "LayerNorm, `lm_head = nn.Linear(64,{v},bias=False)` with `lm_head.weight = wte.weight`. "
    "The embedding is read by Gather; the exporter writes the lm_head as MatMul(x, W^T) and "
    "constant folding stores W^T [64,{v}] as a second initializer (`onnx::MatMul_*`).")


def build_gpt2_tied():
    model, proto, cases = export_gpt2(1, 1000)
    rel = "gpt2_tied/model.onnx"
    fresh_dir("gpt2_tied")
    m, ties = finish(rel, proto, model, cases, 1e-4, "gpt2_tied", GPT2_ABOUT.format(v=1000))
    require(ties, "wte.weight", "transpose", [64, 1000], m)


def build_t5_shared():
    torch.manual_seed(2)
    model = TinyT5()
    perturb_norms(model, 102)
    gen = torch.Generator().manual_seed(202)
    cases = [(ids(gen, 800, 2, 8), ids(gen, 800, 2, 5)), (ids(gen, 800, 3, 6), ids(gen, 800, 3, 4))]
    proto = torch_export(model, cases[0], ["input_ids", "decoder_input_ids"], ["logits"], {
        "input_ids": {0: "batch", 1: "encoder_sequence"},
        "decoder_input_ids": {0: "batch", 1: "decoder_sequence"},
        "logits": {0: "batch", 1: "decoder_sequence"}})
    fresh_dir("t5_shared")
    m, ties = finish(
        "t5_shared/model.onnx", proto, model, cases, 1e-4, "t5_shared",
        "T5-style encoder-decoder: ONE `shared = nn.Embedding(800,48)` used as the encoder's "
        "and the decoder's token embedding and, via `F.linear(y * 48**-0.5, shared.weight)`, "
        "as the tied output head. 2 encoder + 2 decoder layers (RMSNorm, bias-free q/k/v/o and "
        "ReLU FFN 48->96->48, 4 heads, simplified clipped relative-position bias, causal "
        "decoder self-attention, cross-attention).",
        notes=[
            "Encoder and decoder Gather from the same initializer `shared.weight`; the exporter "
            "never writes two identical copies of it (it is one Parameter, and torch 1.13 "
            "additionally de-duplicates equal-valued initializers, see the top of this file). "
            "The only redundancy is the folded transposed copy read by the head MatMul."])
    require(ties, "shared.weight", "transpose", [48, 800], m)


def build_bert_mlm():
    torch.manual_seed(3)
    model = TinyBertForMaskedLM()
    perturb_norms(model, 103)
    gen = torch.Generator().manual_seed(203)

    def case(b, t):
        mask = torch.ones(b, t, dtype=torch.int64)
        mask[1, t - 2:] = 0
        types = torch.zeros(b, t, dtype=torch.int64)
        types[:, t // 2:] = 1
        return (ids(gen, 900, b, t), mask, types)

    cases = [case(2, 8), case(3, 5)]
    names = ["input_ids", "attention_mask", "token_type_ids"]
    proto = torch_export(model, cases[0], names, ["logits"], seq_axes(*(names + ["logits"])))
    fresh_dir("bert_mlm")
    m, ties = finish(
        "bert_mlm/model.onnx", proto, model, cases, 1e-4, "bert_mlm",
        "BERT-style encoder with masked-LM head: word [900,64], position [64,64] and token-type "
        "[2,64] embeddings + LayerNorm, 2 post-LN layers (q/k/v/out nn.Linear, 4 heads, additive "
        "attention-mask bias, GELU FFN 64->128->64), MLM head = dense(64,64) + GELU + LayerNorm, "
        "then `decoder = nn.Linear(64,900)` whose weight is `word_embeddings.weight` (tied) and "
        "which keeps its own bias `decoder.bias` [900].")
    require(ties, "word_embeddings.weight", "transpose", [64, 900], m)


def build_autoencoders():
    # sample 4: the Keras example
    torch.manual_seed(4)
    ae = TiedAutoencoder()
    gen = torch.Generator().manual_seed(204)
    cases = [(torch.randn(2, 5, generator=gen),), (torch.randn(7, 5, generator=gen),)]
    axes = {"x": {0: "batch"}, "y": {0: "batch"}}
    proto = torch_export(ae, cases[0], ["x"], ["y"], axes)
    fresh_dir("tied_autoencoder")
    m, ties = finish(
        "tied_autoencoder/model.onnx", proto, ae, cases, 1e-5, "tied_autoencoder",
        "The Keras tied-autoencoder example in PyTorch: input x [batch,5] float32; encoder "
        "`enc = nn.Linear(5,5)` + ReLU; decoder = h @ enc.weight (the transpose of the "
        "encoder's kernel) + its own bias `dec_bias` [5], sigmoid. The encoder is written "
        "`relu(x @ enc.weight.t() + enc.bias)` (same numbers as `enc(x)`).",
        notes=[
            "With the literal formulation `relu(enc(x))` + `h @ enc.weight` the exporter writes "
            "Gemm(x, enc.weight, transB=1) for the encoder and MatMul(h, enc.weight) for the "
            "decoder: only ONE 5x5 initializer, no transposed copy. "
            "`F.linear(h, enc.weight.t(), dec_bias)` also gives a single copy (the exporter "
            "cancels the two transposes and emits Gemm(h, enc.weight) with transB=0). "
            "Writing the encoder as `x @ enc.weight.t() + enc.bias` makes the exporter emit "
            "MatMul(x, Transpose(enc.weight)), whose Transpose is folded into a second "
            "initializer: enc.weight (read by the decoder MatMul) and its transpose "
            "(read by the encoder MatMul), 100 bytes each.",
            "Both biases are 20 bytes, below the 64-byte floor of the tie search."])
    require(ties, "enc.weight", "transpose", [5, 5], m)

    # sample 5: deeper tied autoencoder
    torch.manual_seed(5)
    deep = DeepTiedAutoencoder()
    gen = torch.Generator().manual_seed(205)
    cases = [(torch.randn(2, 64, generator=gen),), (torch.randn(5, 64, generator=gen),)]
    proto = torch_export(deep, cases[0], ["x"], ["y"], axes)
    fresh_dir("deep_autoencoder")
    m, ties = finish(
        "deep_autoencoder/model.onnx", proto, deep, cases, 1e-5, "deep_autoencoder",
        "Deeper tied autoencoder: encoders `enc.0..2 = nn.Linear` 64->32->16->8 each followed "
        "by tanh (written `tanh(x @ W.t() + b)`), decoders 8->16->32->64 computing "
        "`x @ enc.i.weight + dec_bias.j` in reverse order (tanh after the first two, linear "
        "output). Input x [batch,64], output y [batch,64].",
        notes=["Same formulation as tied_autoencoder: every encoder weight appears once as "
               "itself (read by its decoder MatMul) and once as a folded transpose (read by "
               "the encoder MatMul)."])
    for name, shape in (("enc.0.weight", [64, 32]), ("enc.1.weight", [32, 16]), ("enc.2.weight", [16, 8])):
        require(ties, name, "transpose", shape, m)

    # sample 8: plain encoders, weights copied from the two autoencoders
    ke = KerasEncoder()
    with torch.no_grad():
        ke.dense.weight.copy_(ae.enc.weight)
        ke.dense.bias.copy_(ae.enc.bias)
    gen = torch.Generator().manual_seed(208)
    cases = [(torch.randn(2, 5, generator=gen),), (torch.randn(7, 5, generator=gen),)]
    proto = torch_export(ke, cases[0], ["x"], ["y"], axes)
    fresh_dir("keras_encoder")
    finish("keras_encoder/model.onnx", proto, ke, cases, 1e-5, "keras_encoder",
           "One dense layer of 5 units with ReLU and nothing else: `dense = nn.Linear(5,5)`, "
           "y = relu(dense(x)). Input x [batch,5] float32. The exporter gives "
           "Gemm(x, dense.weight, dense.bias, transB=1) + Relu. No tie inside the file.",
           notes=["dense.weight / dense.bias hold the same values as tied_autoencoder's "
                  "enc.weight / enc.bias (copied), see the cross-file table."])
    mlp = MLPEncoder()
    with torch.no_grad():
        for dst, src in zip(mlp.layers, deep.enc):
            dst.weight.copy_(src.weight)
            dst.bias.copy_(src.bias)
    gen = torch.Generator().manual_seed(209)
    cases = [(torch.randn(2, 64, generator=gen),), (torch.randn(5, 64, generator=gen),)]
    proto = torch_export(mlp, cases[0], ["x"], ["y"], axes)
    fresh_dir("mlp_encoder")
    finish("mlp_encoder/model.onnx", proto, mlp, cases, 1e-5, "mlp_encoder",
           "3-layer encoder 64->32->16->8, `layers.0..2 = nn.Linear`, tanh after each layer. "
           "Input x [batch,64], output y [batch,8]. The exporter gives three Gemm(transB=1) + "
           "Tanh. No tie inside the file.",
           notes=["layers.i.weight / layers.i.bias hold the same values as deep_autoencoder's "
                  "enc.i.weight / enc.i.bias (copied), see the cross-file table."])
    CROSS.append(("tied_autoencoder vs keras_encoder",
                  ["samples/tied_autoencoder/model.onnx", "samples/keras_encoder/model.onnx"]))
    CROSS.append(("deep_autoencoder vs mlp_encoder",
                  ["samples/deep_autoencoder/model.onnx", "samples/mlp_encoder/model.onnx"]))


def build_gpt2_fp16():
    torch.manual_seed(6)
    model = TinyGPT2(vocab=1000)
    perturb_norms(model, 106)
    gen = torch.Generator().manual_seed(206)
    cases = [(ids(gen, 1000, 2, 8),), (ids(gen, 1000, 3, 5),)]
    import copy
    try:
        torch_export(copy.deepcopy(model).half(), cases[0], ["input_ids"], ["logits"],
                     seq_axes("input_ids", "logits"))
        direct = "direct fp16 export unexpectedly succeeded (not used, the conversion below is)"
    except Exception as e:  # torch 1.13 on CPU: no fp16 LayerNorm / addmm kernels
        direct = "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0])
    print("gpt2_fp16: model.half() export on CPU -> %s" % direct)
    proto = torch_export(model, cases[0], ["input_ids"], ["logits"],
                         seq_axes("input_ids", "logits"))
    note = ("float16 version of a float32 torch.onnx.export (opset 14, constant folding): all "
            "float initializers, Constant tensors, Cast(to=float) and graph types converted "
            "to float16 by samples/export_samples.py because model.half() cannot be exported "
            "on CPU with torch 1.13")
    proto16 = convert_to_fp16(proto, note)
    fresh_dir("gpt2_fp16")
    m, ties = finish(
        "gpt2_fp16/model.onnx", proto16, fp16_rounded(model), cases, 2e-2, "gpt2_fp16",
        GPT2_ABOUT.format(v=1000).replace("Tiny GPT-2", "float16 tiny GPT-2") +
        " Every float tensor in the file is FLOAT16; logits are float16.",
        notes=[
            "Exporting `model.half()` on CPU fails with torch 1.13 (`%s`), so the script exports "
            "the float32 model and converts it by hand with onnx.numpy_helper: every FLOAT "
            "initializer, Constant / ConstantOfShape tensor becomes FLOAT16, Cast(to=FLOAT) becomes "
            "Cast(to=FLOAT16), graph input/output/value_info types FLOAT -> FLOAT16; nodes and "
            "names are untouched, model.doc_string says so. The converted graph passes "
            "check_model(full_check=True) (strict type inference) and its logits match the "
            "float32 torch model with fp16-rounded weights (max rel. error in the table)." % direct])
    require(ties, "wte.weight", "transpose", [64, 1000], m)
    assert all(t.data_type != TensorProto.FLOAT for t in m.graph.initializer)


def build_gpt2_external():
    model, proto, cases = export_gpt2(7, 1200)
    fresh_dir("gpt2_external")
    m, ties = finish(
        "gpt2_external/model.onnx", proto, model, cases, 1e-4, "gpt2_external",
        GPT2_ABOUT.format(v=1200) + " Saved with external data.",
        notes=[
            "Written with `onnx.save_model(m, path, save_as_external_data=True, "
            "all_tensors_to_one_file=True, location=\"model.onnx.data\", size_threshold=1024)`. "
            "onnx 1.12 compares `sys.getsizeof(raw_data)` (payload + 33 bytes of Python object "
            "overhead) with the threshold, so tensors of 991 bytes or more go to "
            "model.onnx.data and smaller ones (biases, LayerNorm parameters) stay inline; the "
            "location column of the table gives each tensor's place and offsets."],
        external=True)
    require(ties, "wte.weight", "transpose", [64, 1200], m)


def build_seq2seq_split():
    torch.manual_seed(9)
    model = Seq2Seq()
    perturb_norms(model, 109)
    model.eval()
    gen = torch.Generator().manual_seed(219)
    fresh_dir("seq2seq_split")
    d, nh = 32, 2

    def dec_case(b, t_enc, t_dec):
        src = ids(gen, 700, b, t_enc)
        with torch.no_grad():
            enc = model.encode(src)
        return (ids(gen, 700, b, t_dec), enc)

    def past_case(b, t_enc, t_past, t_new):
        dec_ids, enc = dec_case(b, t_enc, t_past + t_new)
        with torch.no_grad():
            full, _, _ = model.decode(dec_ids, enc)
            _, pk, pv = model.decode(dec_ids[:, :t_past], enc)
            step, _, _ = model.decode(dec_ids[:, t_past:], enc, pk, pv)
        # sanity: decoding with the cache equals decoding the whole prefix
        assert torch.allclose(step, full[:, t_past:], atol=1e-5)
        return (dec_ids[:, t_past:], enc, pk, pv)

    enc_mod = S2SEncoder(model)
    cases = [(ids(gen, 700, 2, 8),), (ids(gen, 700, 3, 5),)]
    proto = torch_export(enc_mod, cases[0], ["input_ids"], ["last_hidden_state"], {
        "input_ids": {0: "batch", 1: "encoder_sequence"},
        "last_hidden_state": {0: "batch", 1: "encoder_sequence"}})
    about_common = (" Part of one BART/Marian-like encoder-decoder (vocab 700, d 32, 2 heads, one "
                    "post-LN encoder layer, one decoder layer with self- and cross-attention, "
                    "GELU FFN 32->64->32, learned positions) whose ONE `shared = nn.Embedding"
                    "(700,32)` is the encoder's and the decoder's token embedding and the tied "
                    "`lm_head` (nn.Linear(32,700,bias=False), weight = shared.weight). The three "
                    "files are exported separately from the same module instance, so each one "
                    "carries its own copy of `model.shared.weight`.")
    finish("seq2seq_split/encoder_model.onnx", proto, enc_mod, cases, 1e-4,
           "seq2seq_split/encoder_model",
           "Encoder: input_ids -> last_hidden_state [batch,encoder_sequence,32]." + about_common,
           notes=["Only Gather reads the embedding here, so the file has one copy of it and no "
                  "tie inside the file."])

    dec_mod = S2SDecoder(model)
    cases = [dec_case(2, 8, 4), dec_case(3, 5, 6)]
    kv_axes = {0: "batch", 2: "decoder_sequence"}
    proto = torch_export(
        dec_mod, cases[0], ["decoder_input_ids", "encoder_hidden_states"],
        ["logits", "present.0.decoder.key", "present.0.decoder.value"], {
            "decoder_input_ids": {0: "batch", 1: "decoder_sequence"},
            "encoder_hidden_states": {0: "batch", 1: "encoder_sequence"},
            "logits": {0: "batch", 1: "decoder_sequence"},
            "present.0.decoder.key": kv_axes, "present.0.decoder.value": kv_axes})
    m, ties = finish(
        "seq2seq_split/decoder_model.onnx", proto, dec_mod, cases, 1e-4,
        "seq2seq_split/decoder_model",
        "Decoder without cache: decoder_input_ids, encoder_hidden_states -> logits "
        "[batch,decoder_sequence,700] and the self-attention key/value cache "
        "present.0.decoder.key/value [batch,2,decoder_sequence,16]." + about_common)
    require(ties, "model.shared.weight", "transpose", [32, 700], m)

    past_mod = S2SDecoderWithPast(model)
    cases = [past_case(2, 8, 3, 1), past_case(3, 5, 4, 2)]
    past_axes = {0: "batch", 2: "past_decoder_sequence"}
    total_axes = {0: "batch", 2: "total_decoder_sequence"}
    proto = torch_export(
        past_mod, cases[0],
        ["decoder_input_ids", "encoder_hidden_states",
         "past_key_values.0.decoder.key", "past_key_values.0.decoder.value"],
        ["logits", "present.0.decoder.key", "present.0.decoder.value"], {
            "decoder_input_ids": {0: "batch", 1: "decoder_sequence"},
            "encoder_hidden_states": {0: "batch", 1: "encoder_sequence"},
            "past_key_values.0.decoder.key": past_axes,
            "past_key_values.0.decoder.value": past_axes,
            "logits": {0: "batch", 1: "decoder_sequence"},
            "present.0.decoder.key": total_axes, "present.0.decoder.value": total_axes})
    m, ties = finish(
        "seq2seq_split/decoder_with_past_model.onnx", proto, past_mod, cases, 1e-4,
        "seq2seq_split/decoder_with_past_model",
        "Decoder with cache: decoder_input_ids (the new tokens), encoder_hidden_states and "
        "past_key_values.0.decoder.key/value [batch,2,past_decoder_sequence,16] -> logits for "
        "the new tokens and the extended cache present.0.decoder.key/value "
        "[batch,2,total_decoder_sequence,16] (past + new). Positions start at the past length; "
        "cross-attention keys/values are recomputed from encoder_hidden_states." + about_common,
        notes=["The script checks in torch that decoding the new tokens with the cache gives "
               "the same logits as decoding the whole prefix without it."])
    require(ties, "model.shared.weight", "transpose", [32, 700], m)
    CROSS.append(("seq2seq_split: the three files", [
        "samples/seq2seq_split/encoder_model.onnx", "samples/seq2seq_split/decoder_model.onnx",
        "samples/seq2seq_split/decoder_with_past_model.onnx"]))


def probe_dedup():
    """torch 1.13 de-duplicates equal-valued initializers of an eval-mode export
    (torch._C._jit_pass_onnx_deduplicate_initializers): two nn.Linear with equal
    weights come out as ONE initializer plus an Identity node."""
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(8, 8)
            self.b = nn.Linear(8, 8)
            with torch.no_grad():
                self.b.weight.copy_(self.a.weight)

        def forward(self, x):
            return self.b(self.a(x))

    torch.manual_seed(0)
    p = torch_export(Two(), (torch.randn(2, 8),), ["x"], ["y"], None)
    inits = [(t.name, list(t.dims)) for t in p.graph.initializer]
    ident = [(n.input[0], n.output[0]) for n in p.graph.node if n.op_type == "Identity"]
    return inits, ident


# ---------------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------------

def shape_str(vi):
    dims = []
    for d in vi.type.tensor_type.shape.dim:
        dims.append(d.dim_param if d.dim_param else str(d.dim_value))
    return "[" + ", ".join(dims) + "]"


def io_rows(model):
    rows = []
    for kind, vis in (("input", model.graph.input), ("output", model.graph.output)):
        for vi in vis:
            rows.append((kind, vi.name, TensorProto.DataType.Name(vi.type.tensor_type.elem_type),
                         shape_str(vi)))
    return rows


def cross_ties(paths):
    out = []
    models = [(p, onnx.load(os.path.join(ROOT, p))) for p in paths]
    for (pa, ma), (pb, mb) in itertools.combinations(models, 2):
        for ta in ma.graph.initializer:
            a = numpy_helper.to_array(ta)
            for tb in mb.graph.initializer:
                b = numpy_helper.to_array(tb)
                if ta.data_type != tb.data_type or a.size != b.size or a.nbytes < MIN_TIE_BYTES:
                    continue
                if a.shape == b.shape and a.tobytes() == b.tobytes():
                    out.append((pa, ta.name, list(a.shape), pb, tb.name, list(b.shape), "identical", int(a.nbytes)))
                elif a.ndim == 2 and a.T.shape == b.shape and np.ascontiguousarray(a.T).tobytes() == b.tobytes():
                    out.append((pa, ta.name, list(a.shape), pb, tb.name, list(b.shape), "transpose [1, 0]", int(a.nbytes)))
    return out


def format_expected(expected):
    """JSON with one tie object per line."""
    out = ["{"]
    items = list(expected.items())
    for i, (path, ties) in enumerate(items):
        end = "," if i < len(items) - 1 else ""
        if not ties:
            out.append("  %s: []%s" % (json.dumps(path), end))
            continue
        out.append("  %s: [" % json.dumps(path))
        for j, t in enumerate(ties):
            out.append("    %s%s" % (json.dumps(t), "," if j < len(ties) - 1 else ""))
        out.append("  ]%s" % end)
    out.append("}")
    text = "\n".join(out) + "\n"
    assert json.loads(text) == expected
    return text


def readers(model, name):
    """'Op(input k)' for every node input that reads the tensor."""
    out = []
    for n in model.graph.node:
        for k, i in enumerate(n.input):
            if i == name:
                out.append("%s `%s` (input %d)" % (n.op_type, n.name, k))
    return "; ".join(out) or "-"


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


def torch_version():
    """torch.__version__ of the Debian build is '1.13.0a0'; add the package version."""
    import subprocess
    try:
        deb = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-torch"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        deb = ""
    return "%s%s" % (torch.__version__, " (Debian python3-torch %s)" % deb if deb else "")


def report(dedup):
    expected = {}
    md = []
    md.append("# onnx-tie sample models\n")
    md.append(
        "Real ONNX exports used by the onnx-tie tests. **Generated** by "
        "`/usr/bin/python3 samples/export_samples.py` (run from the repository root; "
        "torch %s, onnx %s, numpy %s). Do not edit the models or this file by hand; "
        "rerun the script (it is deterministic: a second run gives byte-identical files).\n"
        % (torch_version(), onnx.__version__, np.__version__))
    md.append(
        "All models: `torch.onnx.export(..., opset_version=14, do_constant_folding=True)` with "
        "dynamic batch/sequence axes, eval mode, fixed seeds. LayerNorm/RMSNorm parameters are "
        "set to random 'trained-like' values (1 + 0.1 N(0,1), 0.1 N(0,1)) so that the only "
        "equal tensors are the ones each sample is about (fresh all-ones/all-zeros norms would be "
        "equal to each other; torch 1.13 would then collapse them itself, see below).\n")
    md.append(
        "Every file passes `onnx.checker.check_model(path, full_check=True)` and is run by a "
        "small numpy ONNX interpreter in the script on two input sizes (the export size and a "
        "different batch/sequence size, to exercise the dynamic axes); the outputs match the "
        "PyTorch module (max relative error listed per model).\n")
    md.append(
        "File format: ONNX IR version %s, opset %s; every initializer stores its data in "
        "`raw_data` (little-endian), or in gpt2_external partly in the external file.\n"
        % (sorted({r["model"].ir_version for r in RESULTS}),
           sorted({o.version for r in RESULTS for o in r["model"].opset_import})))
    md.append("## How ties were found (`expected_ties.json`)\n")
    md.append(
        "For each model file, every pair of initializers (a before b in `graph.initializer` "
        "order) with the same data type and element count and at least %d bytes is compared "
        "bitwise: `identical` if b has a's shape and the same bytes (perm = identity), "
        "`transpose` if `np.transpose(a, perm)` has b's shape and bytes for some non-identity "
        "perm (all permutations up to rank 4). `bytes` is the size of one tensor (what dropping "
        "the copy saves). Keys are paths relative to the repository root. Pairs with the same "
        "bytes but a different, non-permuted shape would be listed per model as 'other' "
        "(none occur).\n" % MIN_TIE_BYTES)
    md.append("## What the exporter (torch 1.13) does\n")
    md.append(
        "* A tied weight read by `nn.Linear`/`F.linear` on a **3-D** activation is exported as "
        "`MatMul(x, Transpose(W))`; constant folding turns the Transpose into a second "
        "initializer named `onnx::MatMul_<n>` holding W^T. That is the embedding + transposed "
        "copy pair in every language model here. All other Linear weights are also stored "
        "only transposed (`onnx::MatMul_<n>`, [in,out]); their original [out,in] tensor is "
        "dropped because nothing else reads it, so they are not ties.\n"
        "* On a **2-D** input, `nn.Linear` becomes `Gemm(x, W, b, transB=1)` reading W directly "
        "(no folded copy), and `F.linear(h, W.t())` becomes `Gemm(h, W, transB=0)`: the "
        "exporter cancels the transposes. See tied_autoencoder for the formulation that does "
        "produce a folded transposed copy.\n"
        "* None of these exports holds two identical initializers: a shared Parameter is "
        "exported once, and in eval mode torch 1.13 also de-duplicates *equal-valued* initializers "
        "(`_jit_pass_onnx_deduplicate_initializers`), replacing the duplicates by `Identity` "
        "nodes. Probe in the script: two nn.Linear(8,8) with equal weights export as "
        "initializers %s and Identity nodes (input -> output) %s. So every in-file tie below is "
        "a transpose; identical copies exist only across files (seq2seq_split and the cross-file "
        "table).\n"
        "* `model.half()` cannot be exported on CPU (no fp16 kernels for the traced run); "
        "gpt2_fp16 is converted by hand, see there.\n"
        "* Initializer names from folding (`onnx::MatMul_<n>`) depend on the traced graph's "
        "value numbering; they are stable for a given torch version and this script.\n"
        % (dedup[0], dedup[1]))

    for r in RESULTS:
        m = r["model"]
        expected[r["rel"]] = r["ties"]
        md.append("## %s\n" % r["title"])
        md.append("File%s: %s\n" % ("s" if len(r["files"]) > 1 else "", ", ".join(
            "`%s` (%d bytes)" % (os.path.join(os.path.dirname(r["rel"]), f), n) for f, n in r["files"])))
        md.append(r["about"] + "\n")
        md.append(md_table(["", "name", "type", "shape"], io_rows(m)) + "\n")
        md.append("Nodes: %d; ONNX/torch max relative error on input shapes %s: %.2g.\n"
                  % (len(m.graph.node), r["cases"], r["err"]))
        if r["ties"]:
            shapes = {t.name: list(t.dims) for t in m.graph.initializer}
            md.append("**Ties** (exact):\n")
            md.append(md_table(["a", "shape a", "b", "shape b", "relation", "perm", "bytes",
                                "a read by", "b read by"], [
                ("`%s`" % t["a"], shapes[t["a"]], "`%s`" % t["b"], shapes[t["b"]], t["relation"],
                 t["perm"], t["bytes"], readers(m, t["a"]), readers(m, t["b"])) for t in r["ties"]]) + "\n")
        else:
            md.append("**Ties**: none (no identical or transposed initializer pair of >= %d "
                      "bytes).\n" % MIN_TIE_BYTES)
        for o in r["other"]:
            md.append("Other equal-bytes pair: `%s` / `%s`: %s\n" % o)
        for n in r["notes"]:
            md.append(n + "\n")
        rows = initializer_rows(m, r["locs"])
        md.append("Initializers (%d, %d bytes in total), in file order:\n" % (
            len(rows), sum(x["bytes"] for x in rows)))
        cols = ["name", "dtype", "shape", "bytes"]
        has_ext = any(x["location"] != "inline" for x in rows)
        if has_ext:
            cols.append("location")
        md.append(md_table(cols, [["`%s`" % x["name"], x["dtype"], x["shape"], x["bytes"]] +
                                  ([x["location"]] if has_ext else []) for x in rows]) + "\n")

    md.append("## Cross-file equal tensors\n")
    md.append("Not part of `expected_ties.json` (which is per file); same bitwise rule, "
              "rank-2 transposes only.\n")
    for title, paths in CROSS:
        rows = cross_ties(paths)
        md.append("### %s\n" % title)
        md.append(md_table(["file a", "tensor a", "shape", "file b", "tensor b", "shape", "relation", "bytes"],
                           [("`%s`" % x[0], "`%s`" % x[1], x[2], "`%s`" % x[3], "`%s`" % x[4], x[5], x[6], x[7])
                            for x in rows]) + "\n")

    with open(os.path.join(HERE, "expected_ties.json"), "w") as f:
        f.write(format_expected(expected))
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write("\n".join(md))


def print_summary():
    for r in RESULTS:
        print("\n== %s  (max rel err %.2g)" % (r["rel"], r["err"]))
        for x in initializer_rows(r["model"], r["locs"]):
            print("  %-45s %-8s %-14s %8d  %s" % (x["name"], x["dtype"], x["shape"], x["bytes"],
                                                 "" if x["location"] == "inline" else x["location"]))
        for t in r["ties"]:
            print("  TIE %-10s %s -> %s perm=%s bytes=%d" % (t["relation"], t["a"], t["b"], t["perm"], t["bytes"]))
        if not r["ties"]:
            print("  (no ties)")
        for o in r["other"]:
            print("  OTHER %s / %s: %s" % o)
    for title, paths in CROSS:
        print("\n== cross-file: %s" % title)
        for x in cross_ties(paths):
            print("  %s:%s %s == %s:%s %s (%s, %d bytes)" % x)


def main():
    os.chdir(ROOT)
    dedup = probe_dedup()
    build_gpt2_tied()
    build_t5_shared()
    build_bert_mlm()
    build_autoencoders()
    build_gpt2_fp16()
    build_gpt2_external()
    build_seq2seq_split()
    print_summary()
    report(dedup)
    print("\nwrote %d models, samples/expected_ties.json, samples/README.md" % len(RESULTS))


if __name__ == "__main__":
    main()
