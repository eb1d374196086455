"""
Evaluates a checkpoint folder (config.json + model.safetensors) on CPU: masked-LM loss and
accuracy and NSP accuracy, with the same fixed-seed instances and masks as train.py.

    # the held-out 1% of the training corpus
    python3 training/evaluate.py training/checkpoints/bert-lens-8x512-uncased
    # NSP with every random-next segment from A's own source (needs the sources shard)
    python3 training/evaluate.py training/checkpoints/bert-lens-8x512-uncased --same_source_prob=1
    # out of domain: WikiText-2 validation (Wikipedia; evaluation only, never trained on)
    python3 training/evaluate.py training/checkpoints/bert-lens-8x512-uncased --wikitext=../shared/data/wikitext-2/valid.txt

With --wikitext the file is converted to the corpus layout (one sentence per line, articles
as documents, "@-@" joins undone) under training/data/wikitext/ and tokenised by
tokenize_corpus.mjs, the extension's tokenizer. Positions whose label is [UNK] (WikiText's
<unk>) are not counted.
"""
import contextlib
import json
import os
import random
import re
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import train  # noqa: E402
from corpus import split_sentences  # noqa: E402
from model import from_pretrained  # noqa: E402


def wikitext_to_corpus(path, out_dir):
    """Articles (top-level '= Title =' headings) as documents, paragraphs split into sentences."""
    docs, current = [], []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        if re.fullmatch(r"= [^=].* =", line):
            if current:
                docs.append(current)
            current = []
            continue
        if line.startswith("= "):
            continue                                       # section headings
        text = line.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".").replace("<unk>", "[UNK]")
        text = re.sub(r" ([.,;:!?)\]'])", r"\1", text).replace("( ", "(")
        current.extend(split_sentences(text))
    if current:
        docs.append(current)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "heldout.txt"), "w", encoding="utf-8") as f:
        for d in docs:
            f.write("\n".join(d) + "\n\n")
    open(os.path.join(out_dir, "train.txt"), "w").close()
    return len(docs)


def main():
    folder = sys.argv[1]
    opts = dict(a[2:].split("=", 1) for a in sys.argv[2:])
    unknown = set(opts) - {"wikitext", "instances", "token_dir", "same_source_prob"}
    if unknown:
        sys.exit(f"unknown options {sorted(unknown)}")
    token_dir = opts.get("token_dir", os.path.join(HERE, "data", "tokens"))
    vocab = os.path.join(token_dir, "vocab.txt")
    if "wikitext" in opts:
        corpus_dir = os.path.join(HERE, "data", "wikitext")
        n_docs = wikitext_to_corpus(opts["wikitext"], corpus_dir)
        token_dir = os.path.join(corpus_dir, "tokens")
        subprocess.run(["node", os.path.join(HERE, "tokenize_corpus.mjs"), f"--corpus={corpus_dir}",
                        f"--out={token_dir}", f"--vocab={vocab}", "--specials=true"], check=True)
        print(f"WikiText: {n_docs} articles")
    model = from_pretrained(folder)
    cfg = json.load(open(os.path.join(folder, "eval.json")))["config"] if os.path.exists(
        os.path.join(folder, "eval.json")) else dict(train.config)
    cfg = dict(cfg, eval_max_instances=int(opts.get("instances", 100000)), batch_size=64)
    same_source_prob = float(opts.get("same_source_prob", 0.0))
    heldout = data.create_instances(data.load_split(token_dir, "heldout"), cfg["max_seq_length"],
                                    cfg["short_seq_prob"], random.Random(cfg["seed"] + 1),
                                    data.load_sources(token_dir, "heldout"), same_source_prob)
    continuation = torch.from_numpy(data.load_continuation_table(vocab))
    metrics = evaluate_skipping_unk(model, heldout, continuation, cfg)
    metrics["nsp_majority_baseline"] = float(heldout["is_random_next"][:metrics["heldout_instances"]].mean())
    print(json.dumps(metrics, indent=1))


def evaluate_skipping_unk(model, heldout, continuation, cfg):
    """train.evaluate, but [UNK] labels do not count (they cannot be predicted)."""
    original = data.mask_tokens

    def mask_without_unk(*a, **k):
        corrupted, positions, labels = original(*a, **k)
        return corrupted, positions, labels.masked_fill(labels == data.UNK_ID, -100)
    data.mask_tokens = mask_without_unk
    try:
        return train.evaluate(model, heldout, continuation, cfg, torch.device("cpu"), contextlib.nullcontext())
    finally:
        data.mask_tokens = original


if __name__ == "__main__":
    main()
