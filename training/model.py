"""
BERT for pre-training (masked LM + next sentence prediction), as in Devlin et al. 2018:
post-LayerNorm Transformer encoder, learned position and segment embeddings, GELU (erf),
the MLM head tied to the word embeddings, NSP on the tanh pooler over [CLS].

Parameter names are exactly Hugging Face's BertForPreTraining, so the saved
model.safetensors + config.json load there and in the extension's own ONNX builder.

    python3 training/model.py            # builds the default config, prints parameter counts,
                                         # round-trips a safetensors file

Runs on PyTorch 1.13 (Debian, CPU) and 2.x (uses fused scaled_dot_product_attention there).
"""
import json
import math
import os
import struct
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class BertConfig:
    vocab_size: int = 30522
    hidden_size: int = 512
    num_hidden_layers: int = 8
    num_attention_heads: int = 8
    intermediate_size: int = 2048
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    layer_norm_eps: float = 1e-12
    initializer_range: float = 0.02
    pad_token_id: int = 0

    def to_hf_dict(self):
        """config.json as Hugging Face writes it for BertForPreTraining."""
        return {"architectures": ["BertForPreTraining"], "model_type": "bert",
                "hidden_act": "gelu", "position_embedding_type": "absolute",
                "torch_dtype": "float32", **asdict(self)}


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids):
        T = input_ids.shape[1]
        position = torch.arange(T, device=input_ids.device)[None, :]                       # (1, T)
        x = self.word_embeddings(input_ids) + self.position_embeddings(position) \
            + self.token_type_embeddings(token_type_ids)                                   # (B, T, H)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.head_dim = c.num_attention_heads, c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout_p = c.attention_probs_dropout_prob

    def forward(self, x, additive_mask):
        B, T, H = x.shape
        split = lambda t: t.view(B, T, self.heads, self.head_dim).transpose(1, 2)            # (B, heads, T, head_dim)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        p = self.dropout_p if self.training else 0.0
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=additive_mask.to(q.dtype), dropout_p=p)
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim) + additive_mask   # (B, heads, T, T)
            y = F.dropout(scores.softmax(-1), p, self.training) @ v
        return y.transpose(1, 2).reshape(B, T, H)                                           # (B, T, H)


class BertSelfOutput(nn.Module):          # HF name: attention.output (dense + residual + LayerNorm)
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)       # post-LN


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

    def forward(self, x):
        return F.gelu(self.dense(x))            # exact (erf) GELU, as BERT's "gelu"


class BertOutput(nn.Module):              # HF name: output (FFN down-projection + residual + LayerNorm)
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.intermediate_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


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

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))                                   # (B, H) from [CLS]


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c)

    def forward(self, input_ids, token_type_ids, attention_mask):
        # 0 where attended, a large negative number at padding: (B, 1, 1, T)
        additive_mask = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        h = self.encoder(self.embeddings(input_ids, token_type_ids), additive_mask)   # (B, T, H)
        return h, self.pooler(h)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))
        # the decoder is the word embedding matrix (tied): passed in, not a parameter here

    def forward(self, x, decoder_weight):
        return F.linear(self.transform(x), decoder_weight, self.bias)


class BertPreTrainingHeads(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)
        self.seq_relationship = nn.Linear(c.hidden_size, 2)


class BertForPreTraining(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        """Truncated-normal-like init of BERT: N(0, 0.02) weights, zero biases, LayerNorm 1/0."""
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, self.config.initializer_range)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
            if isinstance(m, nn.Embedding) and m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, input_ids, token_type_ids, attention_mask, masked_positions,
                masked_labels=None, next_sentence_label=None):
        """input_ids, token_type_ids, attention_mask: (B, T); masked_positions (B, P).
        Returns (mlm_logits (B, P, V), nsp_logits (B, 2), loss or None). Only the P masked
        slots go through the vocabulary projection, as in the original."""
        h, pooled = self.bert(input_ids, token_type_ids, attention_mask)
        H = h.shape[-1]
        picked = torch.gather(h, 1, masked_positions[:, :, None].expand(-1, -1, H))     # (B, P, H)
        mlm_logits = self.cls.predictions(picked, self.bert.embeddings.word_embeddings.weight)  # (B, P, V)
        nsp_logits = self.cls.seq_relationship(pooled)                                  # (B, 2)
        loss = None
        if masked_labels is not None:
            loss = F.cross_entropy(mlm_logits.float().view(-1, mlm_logits.shape[-1]),
                                   masked_labels.view(-1), ignore_index=-100)
            if next_sentence_label is not None:
                loss = loss + F.cross_entropy(nsp_logits.float(), next_sentence_label)
        return mlm_logits, nsp_logits, loss


# ----------------------------------------------------------------------------- safetensors

_DTYPES = {torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"), torch.bfloat16: ("BF16", None)}
_NP_OF = {"F32": "<f4", "F16": "<f2"}


def save_safetensors(tensors, path, metadata=None):
    """The safetensors format written by hand (no package needed): 8-byte little-endian header
    length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        dtype = _DTYPES[t.dtype][0]
        if t.dtype == torch.bfloat16:
            data = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            data = t.numpy().astype(_DTYPES[t.dtype][1]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)                                          # align data to 8 bytes
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    """{name: float32 tensor} from a safetensors file (F32, F16 or BF16)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[start:end]
        if info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, "<i2").copy()).view(torch.bfloat16).float()
        else:
            t = torch.from_numpy(np.frombuffer(raw, _NP_OF[info["dtype"]]).astype(np.float32))
        out[name] = t.reshape(info["shape"])
    return out


def hf_state_dict(model):
    """The model's parameters under Hugging Face's names (decoder weight tied, not saved)."""
    return {k: v for k, v in model.state_dict().items()}


def save_pretrained(model, out_dir, dtype=torch.float32, metadata=None):
    os.makedirs(out_dir, exist_ok=True)
    tensors = {k: v.to(dtype) for k, v in hf_state_dict(model).items()}
    save_safetensors(tensors, os.path.join(out_dir, "model.safetensors"), {"format": "pt", **(metadata or {})})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(model.config.to_hf_dict(), f, indent=2)
        f.write("\n")


def from_pretrained(folder):
    with open(os.path.join(folder, "config.json")) as f:
        raw = json.load(f)
    fields = BertConfig.__dataclass_fields__
    config = BertConfig(**{k: v for k, v in raw.items() if k in fields})
    model = BertForPreTraining(config)
    state = load_safetensors(os.path.join(folder, "model.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    return model


if __name__ == "__main__":
    import tempfile
    torch.manual_seed(0)
    model = BertForPreTraining(BertConfig())
    n = sum(p.numel() for p in model.parameters())
    emb = model.bert.embeddings.word_embeddings.weight.numel()
    print(f"{n / 1e6:.2f}M parameters ({(n - emb) / 1e6:.2f}M without word embeddings)")
    for name in list(hf_state_dict(model))[:8] + ["..."] + list(hf_state_dict(model))[-8:]:
        print(" ", name)
    with tempfile.TemporaryDirectory() as d:
        save_pretrained(model, d)
        again = from_pretrained(d)
        same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
        print("safetensors round trip:", "ok" if same else "MISMATCH",
              f"{os.path.getsize(os.path.join(d, 'model.safetensors')) / 1e6:.1f} MB")
