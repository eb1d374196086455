"""
A small, readable PyTorch BERT used as the reference the TypeScript ONNX compiler is checked
against: BertModel, BertForPreTraining (MLM tied to the word embeddings + NSP) and
BertForSequenceClassification, with exactly Hugging Face's parameter names, evaluated in
float32 without dropout. Plain math on purpose (no fused attention): it is the spec.

Also a hand-written safetensors writer (F32 / F16 / BF16 / I64), so no extra package is needed.
Runs on Debian's python3-torch (1.13) and newer.
"""
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    """The config.json fields BERT uses, with transformers' defaults."""

    def __init__(self, raw):
        self.vocab_size = raw["vocab_size"]
        self.hidden_size = raw["hidden_size"]
        self.num_hidden_layers = raw["num_hidden_layers"]
        self.num_attention_heads = raw["num_attention_heads"]
        self.intermediate_size = raw["intermediate_size"]
        self.max_position_embeddings = raw.get("max_position_embeddings", 512)
        self.type_vocab_size = raw.get("type_vocab_size", 2)
        self.layer_norm_eps = raw.get("layer_norm_eps", 1e-12)
        self.num_labels = len(raw.get("id2label", {})) or 2
        self.hidden_act = raw.get("hidden_act", "gelu")
        assert self.hidden_act in ("gelu", "gelu_new"), self.hidden_act


def activation(name):
    """Hugging Face's ACT2FN for the two GELUs BERT checkpoints use."""
    if name == "gelu_new":  # transformers' NewGELUActivation (tanh approximation)
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    return F.gelu  # exact (erf) GELU


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1])[None, :]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) \
            + self.position_embeddings(positions)
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c.num_attention_heads
        self.head_size = c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x, additive_mask):
        B, S, H = x.shape
        split = lambda t: t.view(B, S, self.heads, self.head_size).transpose(1, 2)   # (B, heads, S, d)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_size) + additive_mask  # (B, heads, S, S)
        context = scores.softmax(-1) @ v
        return context.transpose(1, 2).reshape(B, S, H)


class BertSelfOutput(nn.Module):
    """HF's `attention.output`: dense, residual, LayerNorm (post-LN)."""

    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, h, residual):
        return self.LayerNorm(self.dense(h) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x, additive_mask):
        return self.output(self.self(x, additive_mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.act = activation(c.hidden_act)

    def forward(self, x):
        return self.act(self.dense(x))


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.intermediate_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, h, residual):
        return self.LayerNorm(self.dense(h) + residual)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, x, additive_mask):
        a = self.attention(x, additive_mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c.num_hidden_layers)])

    def forward(self, x, additive_mask):
        for layer in self.layer:
            x = layer(x, additive_mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, sequence_output):
        return torch.tanh(self.dense(sequence_output[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c)

    def forward(self, input_ids, token_type_ids, attention_mask):
        additive_mask = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0   # (B, 1, 1, S)
        sequence_output = self.encoder(self.embeddings(input_ids, token_type_ids), additive_mask)
        return sequence_output, self.pooler(sequence_output)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.act = activation(c.hidden_act)

    def forward(self, x):
        return self.LayerNorm(self.act(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    """The decoder weight is the word-embedding table (tied); only its bias is a parameter."""

    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))

    def forward(self, x, word_embeddings):
        return F.linear(self.transform(x), word_embeddings, self.bias)


class BertPreTrainingHeads(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)
        self.seq_relationship = nn.Linear(c.hidden_size, 2)


class BertForPreTraining(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c)
        self.cls = BertPreTrainingHeads(c)

    @torch.no_grad()
    def forward(self, input_ids, token_type_ids, attention_mask):
        """All vocabulary logits (B, S, V), NSP logits (B, 2), pooled (B, H), sequence (B, S, H)."""
        sequence_output, pooled = self.bert(input_ids, token_type_ids, attention_mask)
        mlm_logits = self.cls.predictions(sequence_output, self.bert.embeddings.word_embeddings.weight)
        return mlm_logits, self.cls.seq_relationship(pooled), pooled, sequence_output


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c)
        self.classifier = nn.Linear(c.hidden_size, c.num_labels)

    @torch.no_grad()
    def forward(self, input_ids, token_type_ids, attention_mask):
        """Class logits (B, num_labels), pooled (B, H), sequence (B, S, H)."""
        sequence_output, pooled = self.bert(input_ids, token_type_ids, attention_mask)
        return self.classifier(pooled), pooled, sequence_output


def randomize_(model, seed, weight_std=0.2, embedding_std=0.5, bias_std=0.1, layer_norm_std=0.1):
    """Seeded weights large enough that outputs are far from uniform (so parity tests bite)."""
    generator = torch.Generator().manual_seed(seed)
    normal = lambda shape, std: torch.randn(shape, generator=generator) * std
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + normal(p.shape, layer_norm_std))
            elif "embeddings" in name:
                p.copy_(normal(p.shape, embedding_std))
            elif name.endswith("bias"):
                p.copy_(normal(p.shape, bias_std))
            else:
                p.copy_(normal(p.shape, weight_std))
    return model


# ------------------------------------------------------------------------- safetensors writer

_DTYPE_CODES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def round_to_dtype(t, dtype):
    """What a float32 tensor becomes after being stored as `dtype` and read back as float32."""
    return t.to(_DTYPE_CODES[dtype]).to(torch.float32) if dtype in ("F16", "BF16") else t


def save_safetensors(path, tensors, dtype="F32", metadata=None):
    """tensors: {name: torch tensor}; floats stored as `dtype`, int64 tensors as I64.
    Layout: u64 LE header length, JSON header, data (tensors in name order, no gaps)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        code = "I64" if t.dtype == torch.int64 else dtype
        t = t.to(_DTYPE_CODES[code])
        if code == "BF16":
            data = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            data = t.numpy().astype({"F32": "<f4", "F16": "<f2", "I64": "<i8"}[code]).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-(8 + len(head)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for blob in blobs:
            f.write(blob)
