"""
Fine-tunes a pre-trained checkpoint for sequence classification, as in Devlin et al. (2018):
the whole network trained end to end, a linear classifier on the tanh pooler over [CLS],
AdamW (weight decay 0.01, none on biases and LayerNorm), lr 2e-5..5e-5, 3-4 epochs, linear
warm-up (10%) then linear decay. Writes a Hugging Face BertForSequenceClassification folder
(config.json with id2label / label2id, model.safetensors, vocab.txt, tokenizer_config.json)
that `bert-lens import` compiles (the classifier becomes the model's own head).

    # rt-polarity (sentence sentiment), 90/10 split, 3 epochs at lr 3e-5
    python3 training/finetune.py --checkpoint=training/checkpoints/bert-lens-8x512-uncased \
        --data=../shared/data/rt-polarity --out=training/runs/sentiment-finetuned
    # any JSONL file of {"text", "label"} lines
    python3 training/finetune.py --data=reviews.jsonl --out=...
    # only time a few steps (CPU estimate of an epoch)
    python3 training/finetune.py --data=../shared/data/rt-polarity --out=/tmp/ft --max_steps=10

Tokenisation: BERT's uncased basic tokenizer + WordPiece on the checkpoint's vocab.txt
(the same rules as the extension's tokenizer for ordinary text). Everything seeded.
"""
import argparse
import json
import math
import os
import random
import shutil
import sys
import time
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import BertConfig, BertModel, load_safetensors, save_safetensors  # noqa: E402


# ----------------------------------------------------------------------------- tokenizer

def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class WordPiece:
    """BERT's uncased tokenizer: clean, lower-case, strip accents, split on whitespace and
    punctuation (CJK characters on their own), then greedy longest-match WordPiece."""

    def __init__(self, vocab_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        self.unk, self.cls, self.sep, self.pad = (self.vocab[t] for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]"))

    def words(self, text):
        text = unicodedata.normalize("NFD", text.lower())
        out, word = [], ""
        for ch in text:
            if unicodedata.category(ch) == "Mn" or ord(ch) == 0 or ord(ch) == 0xFFFD or unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r":
                continue
            if ch.isspace():
                if word:
                    out.append(word)
                word = ""
            elif _is_punctuation(ch) or 0x4E00 <= ord(ch) <= 0x9FFF:
                if word:
                    out.append(word)
                out.append(ch)
                word = ""
            else:
                word += ch
        if word:
            out.append(word)
        return out

    def encode(self, text, max_len):
        ids = [self.cls]
        for word in self.words(text):
            if len(word) > 100:
                ids.append(self.unk)
                continue
            pieces, start = [], 0
            while start < len(word):
                end = len(word)
                while end > start:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    if piece in self.vocab:
                        pieces.append(self.vocab[piece])
                        break
                    end -= 1
                if end == start:
                    pieces = [self.unk]
                    break
                start = end
            ids.extend(pieces)
        return ids[: max_len - 1] + [self.sep]


# ----------------------------------------------------------------------------- data

def read_examples(path):
    """rt-polarity folder (rt-polarity.pos / .neg; UTF-8, or Latin-1 as the original v1.0) or
    a JSONL file of {"text", "label"}. Returns [(text, label)]."""
    def decode(raw):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if os.path.isdir(path):
        out = []
        for name, label in (("rt-polarity.pos", "positive"), ("rt-polarity.neg", "negative")):
            with open(os.path.join(path, name), "rb") as f:
                out += [(line.strip(), label) for line in decode(f.read()).splitlines() if line.strip()]
        return out
    with open(path, encoding="utf-8") as f:
        return [(d["text"], str(d["label"])) for d in map(json.loads, filter(str.strip, f))]


def batches(rows, batch_size, pad_id, shuffle, rng):
    """Padded batches. Shuffled: rows are shuffled, sorted by length inside windows of 50
    batches and the batches shuffled again, so a batch pads little (about 1.7x faster on
    sentence data) and the order still changes every epoch."""
    order = list(range(len(rows)))
    groups = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(order)
        window = 50 * batch_size
        groups = []
        for w in range(0, len(order), window):
            part = sorted(order[w:w + window], key=lambda j: len(rows[j][0]))
            groups += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
        rng.shuffle(groups)
    for group in groups:
        chunk = [rows[j] for j in group]
        width = max(len(ids) for ids, _ in chunk)
        input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for k, (ids, _) in enumerate(chunk):
            input_ids[k, :len(ids)] = torch.tensor(ids)
            mask[k, :len(ids)] = 1
        yield input_ids, torch.zeros_like(input_ids), mask, torch.tensor([y for _, y in chunk])


# ----------------------------------------------------------------------------- model

class BertForSequenceClassification(nn.Module):
    """Hugging Face's names: bert.*, classifier.{weight,bias}; dropout on the pooled output."""

    def __init__(self, config, num_labels, dropout):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(config.hidden_size, num_labels)
        nn.init.normal_(self.classifier.weight, 0.0, config.initializer_range)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, input_ids, token_type_ids, attention_mask):
        _, pooled = self.bert(input_ids, token_type_ids, attention_mask)
        return self.classifier(self.dropout(pooled))


def load_encoder(model, checkpoint):
    state = {k: v for k, v in load_safetensors(os.path.join(checkpoint, "model.safetensors")).items() if k.startswith("bert.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert set(missing) == {"classifier.weight", "classifier.bias"} and not unexpected, (missing, unexpected)


def evaluate(model, rows, args, pad_id):
    model.eval()
    correct = 0
    with torch.no_grad():
        for ids, types, mask, y in batches(rows, 128, pad_id, False, None):
            correct += (model(ids.to(args.device), types.to(args.device), mask.to(args.device)).argmax(-1).cpu() == y).sum().item()
    model.train()
    return correct / max(1, len(rows))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=os.path.join(HERE, "checkpoints", "bert-lens-8x512-uncased"))
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--lr", type=float, default=3e-5)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--warmup_fraction", type=float, default=0.1)
    p.add_argument("--weight_decay", type=float, default=0.01)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--max_len", type=int, default=128, help="tokens per text, [CLS]/[SEP] included (the bundled model reads at most 128)")
    p.add_argument("--eval_fraction", type=float, default=0.1, help="share held out (stratified by label) for the reported accuracy")
    p.add_argument("--max_steps", type=int, default=0, help="stop after this many steps (timing runs); 0 = all epochs")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    assert 2e-5 <= args.lr <= 5e-5 or args.max_steps, "SPEC: lr 5e-5, 3e-5 or 2e-5"

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    tokenizer = WordPiece(os.path.join(args.checkpoint, "vocab.txt"))
    examples = read_examples(args.data)
    labels = sorted({label for _, label in examples})
    rows = [(tokenizer.encode(text, args.max_len), labels.index(label)) for text, label in examples]
    # Stratified split: the same share of each label held out.
    train_rows, eval_rows = [], []
    for k in range(len(labels)):
        of_label = [r for r in rows if r[1] == k]
        rng.shuffle(of_label)
        cut = int(round(len(of_label) * args.eval_fraction))
        eval_rows += of_label[:cut]
        train_rows += of_label[cut:]

    with open(os.path.join(args.checkpoint, "config.json")) as f:
        raw = json.load(f)
    config = BertConfig(**{k: v for k, v in raw.items() if k in BertConfig.__dataclass_fields__})
    model = BertForSequenceClassification(config, len(labels), args.dropout)
    load_encoder(model, args.checkpoint)
    model.to(args.device).train()

    no_decay = lambda name: name.endswith("bias") or "LayerNorm" in name  # noqa: E731
    params = [
        {"params": [p for n, p in model.named_parameters() if not no_decay(n)], "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if no_decay(n)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    steps_per_epoch = math.ceil(len(train_rows) / args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = max(1, int(total * args.warmup_fraction))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: s / warmup if s < warmup else max(0.0, (total - s) / max(1, total - warmup)))
    print(f"{len(train_rows)} training / {len(eval_rows)} held-out examples, labels {labels}, "
          f"{steps_per_epoch} steps/epoch x {args.epochs}, device {args.device}, torch {torch.__version__}", flush=True)

    step, started, log = 0, time.time(), []
    for epoch in range(args.epochs):
        for ids, types, mask, y in batches(train_rows, args.batch_size, tokenizer.pad, True, rng):
            logits = model(ids.to(args.device), types.to(args.device), mask.to(args.device))
            loss = F.cross_entropy(logits, y.to(args.device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if step % 50 == 0 or step == args.max_steps:
                per_step = (time.time() - started) / step
                print(f"epoch {epoch} step {step}/{total} loss {loss.item():.4f} {per_step:.2f} s/step "
                      f"(an epoch ~ {per_step * steps_per_epoch / 60:.1f} min)", flush=True)
            if args.max_steps and step >= args.max_steps:
                break
        if args.max_steps and step >= args.max_steps:
            break
        accuracy = evaluate(model, eval_rows, args, tokenizer.pad)
        log.append({"epoch": epoch + 1, "heldout_accuracy": accuracy, "seconds": time.time() - started})
        print(f"epoch {epoch + 1}: held-out accuracy {accuracy:.4f}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    tensors = {k: v for k, v in model.state_dict().items()}
    save_safetensors(tensors, os.path.join(args.out, "model.safetensors"), {"format": "pt", "source": "training/finetune.py"})
    hf = config.to_hf_dict()
    hf.update({
        "architectures": ["BertForSequenceClassification"],
        "id2label": {str(i): label for i, label in enumerate(labels)},
        "label2id": {label: i for i, label in enumerate(labels)},
        "problem_type": "single_label_classification",
        "classifier_dropout": None,
    })
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
        f.write("\n")
    for name in ("vocab.txt", "tokenizer_config.json"):
        if os.path.exists(os.path.join(args.checkpoint, name)):
            shutil.copy(os.path.join(args.checkpoint, name), os.path.join(args.out, name))
    with open(os.path.join(args.out, "finetune.json"), "w") as f:
        json.dump({"args": vars(args), "labels": labels, "steps": step, "seconds": time.time() - started, "epochs": log}, f, indent=1)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
