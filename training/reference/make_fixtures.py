"""
Writes the golden checkpoint fixtures under test/fixtures/checkpoints/ that the TypeScript
parity test (test/unit/checkpoint-parity.test.ts) compiles and compares against:

  legacy-pretraining/   BertForPreTraining, `bert.` prefix, TF-era LayerNorm gamma/beta, no
                        decoder weight (tied), an int64 position_ids buffer; F32
  modern-no-prefix/     BertForPreTraining names without `bert.`, decoder weight present (tied)
                        and `cls.predictions.decoder.bias`; stored as F16
  sequence-classifier/  BertForSequenceClassification with 3-label id2label; F32
  chinese/              BertForPreTraining with a small CJK vocabulary, cased, stored as BF16

Each holds config.json, model.safetensors, vocab.txt, maybe tokenizer_config.json, and
expected.json: the texts, the reference tokenizer's ids, and float32 outputs of the reference
model (eval mode) on the weights exactly as stored (half types rounded).

    /usr/bin/python3 training/reference/make_fixtures.py     # from the repository root
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_reference import (BertForPreTraining, BertForSequenceClassification, Config,  # noqa: E402
                            randomize_, round_to_dtype, save_safetensors)
from wordpiece import WordPieceTokenizer  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "checkpoints")
SOURCE_VOCAB = os.path.join(ROOT, "test", "fixtures", "tiny-bert", "vocab.txt")

ENGLISH_CASES = [
    {"text_a": "The capital of France is [MASK].", "text_b": None},
    {"text_a": "She walked to the [MASK] and bought some bread.", "text_b": "It was a sunny morning."},
    {"text_a": "The café was closed on Sunday!", "text_b": "We went home, and [MASK] [MASK] slept."},
    {"text_a": "Unbelievably, xylophones are played in school.", "text_b": None},
]
CLASSIFIER_CASES = [
    {"text_a": "This movie was great, I loved it.", "text_b": None},
    {"text_a": "The food was cold and the service was slow.", "text_b": None},
    {"text_a": "It is a film.", "text_b": "Some people liked it."},
]
CHINESE_CASES = [
    {"text_a": "今天天气很[MASK]，我们去公园散步。", "text_b": None},
    {"text_a": "我喜欢学习中文和BERT模型。", "text_b": "龘是一个很少见的字。"},
    {"text_a": "北京是中国的[MASK]都。", "text_b": "它有很多历史悠久的地方。"},
]
CHINESE_EXTRA = "的一是不了人在有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感"


def english_vocab():
    """Specials, ASCII characters and a few hundred frequent words of bert-base-uncased, in its id order."""
    with open(SOURCE_VOCAB, encoding="utf-8") as f:
        full = f.read().split("\n")
    needed = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused0]", "[unused1]"}
    needed |= {chr(c) for c in range(33, 127) if chr(c).lower() == chr(c)}
    needed |= {"##" + chr(c) for c in range(ord("a"), ord("z") + 1)} | {"##" + str(d) for d in range(10)}
    needed |= {"##s", "##ing", "##ed", "##ly", "##er", "##able", "##ph", "##one", "##ones", "un", "##be", "##lie"}
    for case in ENGLISH_CASES + CLASSIFIER_CASES:
        for text in (case["text_a"], case["text_b"] or ""):
            needed |= {w for w in WordPieceTokenizer([]).basic_tokens(text) if w in full}
    needed -= {"xylophones", "unbelievably"}  # must go through WordPiece
    words = [t for t in full[1996:2300]]
    needed |= set(words)
    return [t for t in full if t in needed]


def chinese_vocab():
    chars = set(CHINESE_EXTRA)
    for case in CHINESE_CASES:
        for text in (case["text_a"], case["text_b"] or ""):
            chars |= {c for c in text if ord(c) > 0x2E80}
    chars.discard("龘")  # not in the vocabulary: must become [UNK]
    ordered = sorted(chars)
    tokens = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 5)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens += [chr(c) for c in range(33, 127)]
    tokens += ordered + ["##" + c for c in ordered[:40]]
    tokens += ["##" + c for c in "ERT"]
    return tokens


def base_config(vocab_size, architecture):
    return {
        "architectures": [architecture],
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 64,
        "model_type": "bert",
        "num_attention_heads": 2,
        "num_hidden_layers": 2,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "type_vocab_size": 2,
        "vocab_size": vocab_size,
    }


def rounded(value):
    """Float32 values as JSON numbers with 9 significant digits (exact for float32)."""
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return float(f"{value:.9g}")


def run_cases(model, tokenizer, cases, kind):
    results = []
    for case in cases:
        tokens, ids, types = tokenizer.encode(case["text_a"], case["text_b"])
        input_ids = torch.tensor([ids])
        token_type_ids = torch.tensor([types])
        attention_mask = torch.ones_like(input_ids)
        result = dict(case, tokens=tokens, input_ids=ids, token_type_ids=types)
        if kind == "pretraining":
            mlm_logits, nsp_logits, pooled, _ = model(input_ids, token_type_ids, attention_mask)
            positions = [i for i, t in enumerate(tokens) if t == "[MASK]"] or [1, len(tokens) - 2]
            result["mlm_positions"] = positions
            result["mlm_probabilities"] = rounded(mlm_logits[0, positions].softmax(-1).tolist())
            result["nsp_probabilities"] = rounded(nsp_logits[0].softmax(-1).tolist())
        else:
            logits, pooled, _ = model(input_ids, token_type_ids, attention_mask)
            result["classifier_probabilities"] = rounded(logits[0].softmax(-1).tolist())
        result["pooled_output"] = rounded(pooled[0].tolist())
        results.append(result)
    return results


def stored_state(model, dtype):
    """Round the model's weights to what `dtype` storage keeps, in place; return the state dict."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(round_to_dtype(p, dtype))
    return {k: v.clone() for k, v in model.state_dict().items()}


def write_fixture(name, config, vocab, tensors, dtype, expected, tokenizer_config=None):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    if tokenizer_config is not None:
        with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer_config, f, indent=2)
            f.write("\n")
    save_safetensors(os.path.join(folder, "model.safetensors"), tensors, dtype, {"format": "pt"})
    with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"fixture": name, "stored_dtype": dtype, "torch_version": torch.__version__, **expected},
                  f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
    print(f"{name}: {size / 1024:.0f} KiB, {len(vocab)} tokens, cases: {len(expected['cases'])}")


def legacy_names(state):
    """bert.* + gamma/beta, no decoder weight, an int64 position_ids buffer as old checkpoints have."""
    out = {}
    for k, v in state.items():
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        out[k] = v
    out["bert.embeddings.position_ids"] = torch.arange(64, dtype=torch.int64)[None, :]
    return out


def modern_names(state):
    """No `bert.` prefix, decoder weight stored (tied: equal to the word embeddings), decoder.bias."""
    out = {}
    for k, v in state.items():
        if k.startswith("bert."):
            k = k[len("bert."):]
        if k == "cls.predictions.bias":
            k = "cls.predictions.decoder.bias"
        out[k] = v
    out["cls.predictions.decoder.weight"] = state["bert.embeddings.word_embeddings.weight"].clone()
    return out


def main():
    torch.set_num_threads(1)
    english = english_vocab()
    uncased = WordPieceTokenizer(english, lowercase=True)

    # (a) legacy pre-training checkpoint
    config = base_config(len(english), "BertForPreTraining")
    model = randomize_(BertForPreTraining(Config(config)).eval(), seed=101)
    state = stored_state(model, "F32")
    cases = run_cases(model, uncased, ENGLISH_CASES, "pretraining")
    write_fixture("legacy-pretraining", config, english, legacy_names(state), "F32",
                  {"heads": {"pooler": True, "mlm": True, "nsp": True, "classifier_labels": 0}, "cases": cases})

    # (b) modern names without prefix, F16
    config = base_config(len(english), "BertForPreTraining")
    model = randomize_(BertForPreTraining(Config(config)).eval(), seed=202)
    state = stored_state(model, "F16")
    cases = run_cases(model, uncased, ENGLISH_CASES, "pretraining")
    write_fixture("modern-no-prefix", config, english, modern_names(state), "F16",
                  {"heads": {"pooler": True, "mlm": True, "nsp": True, "classifier_labels": 0}, "cases": cases})

    # (c) sequence classification with id2label
    config = base_config(len(english), "BertForSequenceClassification")
    config["id2label"] = {"0": "negative", "1": "neutral", "2": "positive"}
    config["label2id"] = {"negative": 0, "neutral": 1, "positive": 2}
    config["problem_type"] = "single_label_classification"
    model = randomize_(BertForSequenceClassification(Config(config)).eval(), seed=303)
    state = stored_state(model, "F32")
    cases = run_cases(model, uncased, CLASSIFIER_CASES, "classifier")
    write_fixture("sequence-classifier", config, english, state, "F32",
                  {"heads": {"pooler": True, "mlm": False, "nsp": False, "classifier_labels": 3},
                   "labels": ["negative", "neutral", "positive"], "cases": cases},
                  tokenizer_config={"do_lower_case": True})

    # (d) Chinese vocabulary, cased, BF16
    chinese = chinese_vocab()
    cased = WordPieceTokenizer(chinese, lowercase=False, chinese_chars=True)
    config = base_config(len(chinese), "BertForMaskedLM")
    model = randomize_(BertForPreTraining(Config(config)).eval(), seed=404)
    state = stored_state(model, "BF16")
    cases = run_cases(model, cased, CHINESE_CASES, "pretraining")
    write_fixture("chinese", config, chinese, state, "BF16",
                  {"heads": {"pooler": True, "mlm": True, "nsp": True, "classifier_labels": 0}, "cases": cases},
                  tokenizer_config={"do_lower_case": False, "tokenize_chinese_chars": True})


if __name__ == "__main__":
    main()
