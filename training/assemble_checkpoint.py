"""
Turns what the GPU run sent back (fp16 safetensors in <16 MiB parts + its logs) into the
checkpoint folder the extension's ONNX builder reads: config.json + model.safetensors
(float32, Hugging Face BertForPreTraining names) + vocab.txt + tokenizer_config.json
(model_max_length 128, the trained length) + train.log + eval.json, then re-runs the
held-out evaluation on CPU from the float32 file to show the conversion lost nothing.

    python3 training/assemble_checkpoint.py --run=training/runs/h100 \
        --out=training/checkpoints/bert-lens-8x512-uncased [--eval_instances=1024]
"""
import glob
import json
import os
import random
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import train  # noqa: E402
from model import from_pretrained, load_safetensors, save_pretrained, BertConfig, BertForPreTraining  # noqa: E402


def write_tokenizer_files(out, token_dir, max_seq_length):
    """vocab.txt (the exact vocabulary trained with) and tokenizer_config.json. model_max_length
    is the training sequence length: position embeddings beyond it were never trained."""
    shutil.copy(os.path.join(token_dir, "vocab.txt"), os.path.join(out, "vocab.txt"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "strip_accents": None,
                   "tokenize_chinese_chars": True, "model_max_length": max_seq_length,
                   "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                   "cls_token": "[CLS]", "mask_token": "[MASK]"}, f, indent=2)
        f.write("\n")


def main():
    args = {"run": os.path.join(HERE, "runs", "h100"),
            "out": os.path.join(HERE, "checkpoints", "bert-lens-8x512-uncased"),
            "token_dir": os.path.join(HERE, "data", "tokens"), "eval_instances": "1024"}
    for a in sys.argv[1:]:
        key, _, value = a[2:].partition("=")
        if not a.startswith("--") or key not in args:
            sys.exit(f"unknown option {a!r}; known: {', '.join(args)}")
        args[key] = value
    run, out = args["run"], args["out"]

    parts = sorted(glob.glob(os.path.join(run, "model.fp16.safetensors.part*")))
    assert parts, f"no model.fp16.safetensors.part* in {run}"
    joined = os.path.join(run, "model.fp16.safetensors")
    with open(joined, "wb") as f:
        for p in parts:
            with open(p, "rb") as g:
                f.write(g.read())
    run_eval = json.load(open(os.path.join(run, "eval.json")))
    cfg = run_eval["config"]
    model = BertForPreTraining(BertConfig(hidden_size=cfg["hidden_size"], num_hidden_layers=cfg["num_hidden_layers"],
                                          num_attention_heads=cfg["num_attention_heads"],
                                          intermediate_size=cfg["intermediate_size"],
                                          hidden_dropout_prob=cfg["dropout"],
                                          attention_probs_dropout_prob=cfg["dropout"]))
    missing, unexpected = model.load_state_dict(load_safetensors(joined), strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    save_pretrained(model, out, metadata={"step": run_eval["step"], "source": "training/train.py, H100 run"})
    shutil.copy(os.path.join(run, "train.log"), os.path.join(out, "train.log"))
    write_tokenizer_files(out, args["token_dir"], cfg["max_seq_length"])

    # held-out check on CPU from the float32 file just written
    model = from_pretrained(out)
    n = int(args["eval_instances"])
    cfg_cpu = dict(cfg, eval_max_instances=n, batch_size=64)
    heldout = data.create_instances(data.load_split(args["token_dir"], "heldout"), cfg["max_seq_length"],
                                    cfg["short_seq_prob"], random.Random(cfg["seed"] + 1))
    continuation = torch.from_numpy(data.load_continuation_table(os.path.join(args["token_dir"], "vocab.txt")))
    cpu = train.evaluate(model, heldout, continuation, cfg_cpu, torch.device("cpu"), __import__("contextlib").nullcontext())
    print("CPU re-evaluation of the float32 checkpoint:", json.dumps(cpu))
    summary = {
        "model": os.path.basename(out),
        "heldout": {k: run_eval[k] for k in ("heldout_instances", "heldout_masked_tokens", "mlm_loss",
                                               "mlm_perplexity", "mlm_accuracy", "nsp_accuracy", "nsp_loss")},
        "heldout_cpu_recheck_float32": cpu,
        "nsp_majority_baseline": float(heldout["is_random_next"][:run_eval["heldout_instances"]].mean()),
        "training": {k: run_eval[k] for k in ("step", "stop_reason", "train_seconds", "tokens_seen",
                                                "epochs_seen", "device_name", "torch", "parameters")},
        "config": cfg,
    }
    with open(os.path.join(out, "eval.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    os.remove(joined)
    print(f"wrote {out}: " + ", ".join(sorted(os.listdir(out))))


if __name__ == "__main__":
    main()
