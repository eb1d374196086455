"""
Pre-trains BERT with masked LM + next sentence prediction on the tokenised corpus.

    # CPU smoke test (a few hundred steps of a tiny model)
    python3 training/train.py --out_dir=training/runs/cpu-tiny --hidden_size=128 \
        --num_hidden_layers=2 --num_attention_heads=2 --intermediate_size=512 \
        --batch_size=32 --max_steps=300 --warmup_steps=30 --eval_interval=100 --compile=False
    # the GPU run (see README.md): 8 x 512 for a fixed wall-clock budget
    python3 training/train.py --out_dir=/tmp/run --time_budget_s=1200 --num_workers=8 --export_fp16_parts=True
    # resume an interrupted run
    python3 training/train.py --out_dir=/tmp/run --resume=True

Configuration: the block of defaults below, then optional JSON files given as arguments, then
--key=value overrides, type-checked against the defaults; unknown keys are rejected. The
resolved config is saved in every checkpoint and in out_dir/config.resolved.json.

Writes to out_dir: train.log (human), log.jsonl (metrics), ckpt.pt (model + optimizer +
data position, for resume), export/ (config.json + model.safetensors, Hugging Face layout),
eval.json (final held-out metrics). Touch out_dir/STOP to end a run early but cleanly.
"""
import json
import math
import multiprocessing
import os
import random
import sys
import time
from collections import deque
from contextlib import nullcontext

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data                                    # noqa: E402
from model import BertConfig, BertForPreTraining, save_pretrained, save_safetensors   # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# ----------------------------------------------------------------------------- defaults
config = dict(
    # I/O
    out_dir=os.path.join(HERE, "runs", "default"),
    token_dir=os.path.join(HERE, "data", "tokens"),
    vocab="",                    # default: token_dir/vocab.txt (written by tokenize_corpus.mjs)
    resume=False,
    # model: 8 layers x 512 (BERT-medium's shape): 41.7M parameters, ~42 MB as int8 ONNX
    hidden_size=512,
    num_hidden_layers=8,
    num_attention_heads=8,
    intermediate_size=2048,
    dropout=0.1,
    # data (google-research/bert defaults for 128-token pre-training)
    max_seq_length=128,
    short_seq_prob=0.1,
    masked_lm_prob=0.15,
    max_predictions=20,
    whole_word_masking=False,
    same_source_prob=0.0,        # share of random-next B segments drawn from A's source (0 = BERT)
    # optimisation: AdamW, linear warm-up then linear decay to 0
    batch_size=512,
    learning_rate=1e-3,
    weight_decay=0.01,           # not on biases and LayerNorm weights, as BERT
    beta1=0.9,
    beta2=0.98,                  # RoBERTa's value: steadier than 0.999 with large batches
    adam_eps=1e-6,
    warmup_steps=1000,
    max_steps=10000,
    grad_clip=1.0,
    time_budget_s=0.0,           # > 0: max_steps is set from the measured speed to fit this budget
    # evaluation and logging
    log_interval=100,
    eval_interval=2000,
    eval_max_instances=8192,
    checkpoint_interval=2000,
    # system
    device="auto",               # auto = cuda if available, else cpu
    dtype="bfloat16",            # autocast dtype on CUDA (CPU runs in float32)
    compile=True,                # torch.compile on CUDA with PyTorch 2
    num_workers=4,               # processes building epochs of instances
    seed=1337,
    export_fp16_parts=False,     # also write fp16 weights split into <16 MiB parts (device transfer)
)


def parse_config(argv, defaults):
    """JSON files, then --key=value, type-checked against the defaults."""
    cfg = dict(defaults)
    for arg in argv:
        if arg.startswith("--"):
            key, sep, value = arg[2:].partition("=")
            if not sep or key not in defaults:
                sys.exit(f"unknown or malformed option {arg!r}; known: {', '.join(defaults)}")
            kind = type(defaults[key])
            if kind is bool:
                if value not in ("True", "False", "true", "false", "1", "0"):
                    sys.exit(f"--{key} expects True or False, got {value!r}")
                cfg[key] = value in ("True", "true", "1")
            else:
                try:
                    cfg[key] = kind(value)
                except ValueError:
                    sys.exit(f"--{key} expects {kind.__name__}, got {value!r}")
        else:
            with open(arg) as f:
                for key, value in json.load(f).items():
                    if key not in defaults:
                        sys.exit(f"{arg}: unknown key {key!r}")
                    cfg[key] = value
    return cfg


# ----------------------------------------------------------------------------- helpers

class EpochStream:
    """Epochs of instances built by worker processes, a bounded number ahead; batches are
    consecutive slices of the current epoch. Position (epoch, row) is saved for resume."""

    def __init__(self, cfg, pool, epoch, row):
        self.cfg, self.pool, self.epoch, self.row = cfg, pool, epoch, row
        self.pending = deque()
        self.next_epoch = epoch
        self._fill()
        self.current = self._take()

    def _job(self, epoch):
        return (self.cfg["token_dir"], "train", epoch, self.cfg["seed"], self.cfg["max_seq_length"],
                self.cfg["short_seq_prob"], self.cfg["same_source_prob"])

    def _fill(self):
        while len(self.pending) < max(2, self.cfg["num_workers"]):
            if self.pool is None:
                self.pending.append(data.epoch_instances(self._job(self.next_epoch)))
            else:
                self.pending.append(self.pool.apply_async(data.epoch_instances, (self._job(self.next_epoch),)))
            self.next_epoch += 1

    def _take(self):
        item = self.pending.popleft()
        self._fill()
        return item if isinstance(item, dict) else item.get()

    def next_batch(self, batch_size):
        n = len(self.current["input_ids"])
        if self.row + batch_size > n:                 # drop the ragged end of an epoch
            self.epoch, self.row = self.epoch + 1, 0
            self.current = self._take()
        index = np.arange(self.row, self.row + batch_size)
        self.row += batch_size
        return self.current, index


def lr_at(step, cfg, max_steps):
    if step < cfg["warmup_steps"]:
        return cfg["learning_rate"] * (step + 1) / cfg["warmup_steps"]
    return cfg["learning_rate"] * max(0.0, (max_steps - step) / max(1, max_steps - cfg["warmup_steps"]))


def make_optimizer(model, cfg, device):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg["weight_decay"]},
              {"params": no_decay, "weight_decay": 0.0}]
    extra = {}
    if device.type == "cuda" and "fused" in torch.optim.AdamW.__init__.__code__.co_varnames:
        extra["fused"] = True
    return torch.optim.AdamW(groups, lr=cfg["learning_rate"], betas=(cfg["beta1"], cfg["beta2"]),
                             eps=cfg["adam_eps"], **extra)


@torch.no_grad()
def evaluate_all(model, heldout, heldout_same_source, continuation, cfg, device, autocast):
    """evaluate() on the held-out instances, plus NSP with same-source negatives when available."""
    metrics = evaluate(model, heldout, continuation, cfg, device, autocast)
    if heldout_same_source is not None:
        hard = evaluate(model, heldout_same_source, continuation, cfg, device, autocast)
        metrics["nsp_accuracy_same_source"] = hard["nsp_accuracy"]
        metrics["nsp_loss_same_source"] = hard["nsp_loss"]
    return metrics


def evaluate(model, heldout, continuation, cfg, device, autocast):
    """Held-out MLM loss/accuracy and NSP accuracy, with fixed masks (same every time)."""
    model.eval()
    generator = torch.Generator(device=device).manual_seed(cfg["seed"] + 7)
    n = min(len(heldout["input_ids"]), cfg["eval_max_instances"])
    mlm_loss_sum = mlm_correct = mlm_count = nsp_correct = 0.0
    nsp_loss_sum = 0.0
    for start in range(0, n, cfg["batch_size"]):
        index = np.arange(start, min(n, start + cfg["batch_size"]))
        ids, types, attn, nsp = data.batch_tensors(heldout, index, device)
        corrupted, positions, labels = data.mask_tokens(
            ids, attn, continuation, generator, cfg["masked_lm_prob"], cfg["max_predictions"],
            cfg["whole_word_masking"])
        with autocast:
            mlm_logits, nsp_logits, _ = model(corrupted, types, attn, positions)
        valid = labels >= 0
        logp = torch.log_softmax(mlm_logits.float(), -1)
        token_logp = torch.gather(logp, 2, labels.clamp(min=0)[:, :, None])[:, :, 0]
        mlm_loss_sum += float(-(token_logp * valid).sum())
        mlm_correct += float(((mlm_logits.argmax(-1) == labels) & valid).sum())
        mlm_count += float(valid.sum())
        nsp_correct += float((nsp_logits.argmax(-1) == nsp).sum())
        nsp_loss_sum += float(torch.nn.functional.cross_entropy(nsp_logits.float(), nsp, reduction="sum"))
    model.train()
    return {"heldout_instances": n, "heldout_masked_tokens": int(mlm_count),
            "mlm_loss": mlm_loss_sum / mlm_count, "mlm_perplexity": math.exp(mlm_loss_sum / mlm_count),
            "mlm_accuracy": mlm_correct / mlm_count, "nsp_accuracy": nsp_correct / n,
            "nsp_loss": nsp_loss_sum / n}


def export(model, cfg, out_dir, step, metrics):
    folder = os.path.join(out_dir, "export")
    meta = {"step": step, "seed": cfg["seed"]}
    save_pretrained(model, folder, metadata=meta)
    if cfg["export_fp16_parts"]:
        path = os.path.join(folder, "model.fp16.safetensors")
        save_safetensors({k: v.half() for k, v in model.state_dict().items()}, path, {"format": "pt", **meta})
        with open(path, "rb") as f:
            blob = f.read()
        part = 16 * 1024 * 1024 - 4096
        for i in range(0, len(blob), part):
            with open(f"{path}.part{i // part:02d}", "wb") as f:
                f.write(blob[i:i + part])
        os.remove(path)
    with open(os.path.join(out_dir, "eval.json"), "w") as f:
        json.dump(metrics, f, indent=1)


# ----------------------------------------------------------------------------- main

def main():
    cfg = parse_config(sys.argv[1:], config)
    out_dir = cfg["out_dir"]
    os.makedirs(out_dir, exist_ok=True)
    log_file = open(os.path.join(out_dir, "train.log"), "a")
    jsonl = open(os.path.join(out_dir, "log.jsonl"), "a")

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    # workers are forked before CUDA is touched
    pool = multiprocessing.get_context("fork").Pool(cfg["num_workers"]) if cfg["num_workers"] > 0 else None

    device = torch.device("cuda" if cfg["device"] == "auto" and torch.cuda.is_available()
                          else ("cpu" if cfg["device"] == "auto" else cfg["device"]))
    torch.manual_seed(cfg["seed"])
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    autocast = (torch.autocast("cuda", dtype=getattr(torch, cfg["dtype"])) if device.type == "cuda"
                else nullcontext())

    model_config = BertConfig(hidden_size=cfg["hidden_size"], num_hidden_layers=cfg["num_hidden_layers"],
                              num_attention_heads=cfg["num_attention_heads"],
                              intermediate_size=cfg["intermediate_size"],
                              hidden_dropout_prob=cfg["dropout"], attention_probs_dropout_prob=cfg["dropout"])
    model = BertForPreTraining(model_config).to(device)
    optimizer = make_optimizer(model, cfg, device)
    step, epoch, row, max_steps = 0, 0, 0, cfg["max_steps"]
    ckpt_path = os.path.join(out_dir, "ckpt.pt")
    if cfg["resume"]:
        ckpt = torch.load(ckpt_path, map_location=device)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        step, epoch, row, max_steps = ckpt["step"], ckpt["epoch"], ckpt["row"], ckpt["max_steps"]
        if any(a.startswith("--max_steps=") for a in sys.argv[1:]):   # extend (or shorten) the run:
            max_steps = cfg["max_steps"]                               # the decay is stretched from here
        log(f"resumed from {ckpt_path} at step {step} (epoch {epoch}, row {row}), max_steps {max_steps}")
    with open(os.path.join(out_dir, "config.resolved.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"device {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}), "
        f"torch {torch.__version__}, {n_params / 1e6:.2f}M parameters, config {json.dumps(cfg)}")

    vocab = cfg["vocab"] or os.path.join(cfg["token_dir"], "vocab.txt")
    continuation = torch.from_numpy(data.load_continuation_table(vocab)).to(device)
    t0 = time.time()
    heldout_docs = data.load_split(cfg["token_dir"], "heldout")
    heldout = data.create_instances(heldout_docs, cfg["max_seq_length"], cfg["short_seq_prob"],
                                    random.Random(cfg["seed"] + 1))
    # harder NSP check: every random-next segment from the same source as A (needs sources)
    heldout_sources = data.load_sources(cfg["token_dir"], "heldout")
    heldout_same_source = None if heldout_sources is None else data.create_instances(
        heldout_docs, cfg["max_seq_length"], cfg["short_seq_prob"], random.Random(cfg["seed"] + 1),
        heldout_sources, 1.0)
    stream = EpochStream(cfg, pool, epoch, row)
    log(f"data ready in {time.time() - t0:.1f}s: {len(stream.current['input_ids'])} training instances "
        f"in epoch {epoch}, {len(heldout['input_ids'])} held-out instances")

    train_model = model
    if cfg["compile"] and device.type == "cuda" and hasattr(torch, "compile"):
        train_model = torch.compile(model)

    model.train()
    tokens_per_step = cfg["batch_size"] * cfg["max_seq_length"]
    sums = torch.zeros(5, device=device)   # loss, mlm correct, mlm count, nsp correct, real tokens
    t_loop = t_last = time.time()
    calibrate_at = None
    stop_reason = "max_steps"
    while step < max_steps:
        if os.path.exists(os.path.join(out_dir, "STOP")):
            stop_reason = "STOP file"
            break
        if cfg["time_budget_s"] > 0 and time.time() - t_loop > 1.04 * cfg["time_budget_s"]:
            stop_reason = "time budget"                 # calibration was too optimistic
            break
        instances, index = stream.next_batch(cfg["batch_size"])
        ids, types, attn, nsp = data.batch_tensors(instances, index, device)
        generator = torch.Generator(device=device).manual_seed(cfg["seed"] * 1_000_003 + step)
        corrupted, positions, labels = data.mask_tokens(
            ids, attn, continuation, generator, cfg["masked_lm_prob"], cfg["max_predictions"],
            cfg["whole_word_masking"])
        lr = lr_at(step, cfg, max_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        try:
            with autocast:
                mlm_logits, nsp_logits, loss = train_model(corrupted, types, attn, positions, labels, nsp)
            loss.backward()
        except Exception as e:                      # torch.compile trouble: carry on eagerly
            if train_model is model:
                raise
            log(f"torch.compile failed ({type(e).__name__}: {str(e)[:300]}); continuing without it")
            train_model = model
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                mlm_logits, nsp_logits, loss = train_model(corrupted, types, attn, positions, labels, nsp)
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        with torch.no_grad():
            valid = labels >= 0
            sums += torch.stack([loss.detach().float(),
                                 ((mlm_logits.argmax(-1) == labels) & valid).sum().float(),
                                 valid.sum().float(),
                                 (nsp_logits.argmax(-1) == nsp).sum().float(),
                                 attn.sum().float()])

        # fit max_steps to the time budget once the speed is known (after compilation)
        if cfg["time_budget_s"] > 0 and calibrate_at is None and step == 30:
            calibrate_at = (step, time.time())
        if cfg["time_budget_s"] > 0 and calibrate_at and step == calibrate_at[0] + 100:
            per_step = (time.time() - calibrate_at[1]) / 100
            remaining = cfg["time_budget_s"] - (time.time() - t_loop)
            evals = remaining / per_step / cfg["eval_interval"] + 1
            max_steps = step + int(0.97 * (remaining - evals * 3) / per_step)
            log(f"speed {per_step * 1000:.1f} ms/step -> max_steps {max_steps} for a {cfg['time_budget_s']:.0f}s budget")

        if step % cfg["log_interval"] == 0 or step == max_steps:
            s = sums.tolist()
            sums.zero_()
            now = time.time()
            n_steps = cfg["log_interval"] if step % cfg["log_interval"] == 0 else step % cfg["log_interval"]
            record = {"step": step, "epoch": stream.epoch, "lr": lr, "loss": s[0] / n_steps,
                      "mlm_accuracy": s[1] / max(1, s[2]), "nsp_accuracy": s[3] / (n_steps * cfg["batch_size"]),
                      "tokens_per_s": n_steps * tokens_per_step / (now - t_last),
                      "real_tokens_per_s": s[4] / (now - t_last), "elapsed_s": now - t_loop}
            t_last = now
            log(f"step {step:6d}/{max_steps} ep {stream.epoch:3d} lr {lr:.2e} loss {record['loss']:.4f} "
                f"mlm_acc {record['mlm_accuracy']:.4f} nsp_acc {record['nsp_accuracy']:.4f} "
                f"{record['tokens_per_s']:,.0f} tok/s")
            jsonl.write(json.dumps(record) + "\n")
            jsonl.flush()
            if not math.isfinite(record["loss"]):
                stop_reason = "loss is not finite"
                break
        if step % cfg["eval_interval"] == 0 and step < max_steps:
            metrics = evaluate_all(model, heldout, heldout_same_source, continuation, cfg, device, autocast)
            log(f"eval step {step}: " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
            jsonl.write(json.dumps({"step": step, "eval": metrics}) + "\n")
            jsonl.flush()
        if step % cfg["checkpoint_interval"] == 0 and step < max_steps:
            save_checkpoint(model, optimizer, cfg, step, stream, max_steps, ckpt_path)

    elapsed = time.time() - t_loop
    save_checkpoint(model, optimizer, cfg, step, stream, max_steps, ckpt_path)
    metrics = evaluate_all(model, heldout, heldout_same_source, continuation, cfg, device, autocast)
    metrics.update({"step": step, "stop_reason": stop_reason, "train_seconds": elapsed,
                    "tokens_seen": step * tokens_per_step, "epochs_seen": stream.epoch + stream.row /
                    max(1, len(stream.current["input_ids"])), "device": str(device),
                    "device_name": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
                    "torch": torch.__version__, "parameters": n_params, "config": cfg})
    log(f"final eval step {step} ({stop_reason}): " +
        " ".join(f"{k} {metrics[k]:.4f}" for k in ("mlm_loss", "mlm_accuracy", "nsp_accuracy", "nsp_loss")))
    jsonl.write(json.dumps({"step": step, "eval": {k: v for k, v in metrics.items() if k != "config"}}) + "\n")
    export(model, cfg, out_dir, step, metrics)
    log(f"exported {os.path.join(out_dir, 'export')}")
    if pool is not None:
        pool.terminate()


def save_checkpoint(model, optimizer, cfg, step, stream, max_steps, path):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "config": cfg,
                "step": step, "epoch": stream.epoch, "row": stream.row, "max_steps": max_steps},
               path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
