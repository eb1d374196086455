"""
Tests of the training side beyond the data recipe (test_data.py): the model learns, and the
whole pipeline — text -> tokenize_corpus.mjs shards -> train.py -> checkpoint, resume, export —
runs end to end on a tiny configuration. CPU only, about a minute on 2 cores.

    python3 -m unittest training/test_train.py          # from the repository root
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import data  # noqa: E402
from model import BertConfig, BertForPreTraining, from_pretrained  # noqa: E402

TINY = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128)

# A small made-up world: documents are short stories with a topic, so the next sentence is
# predictable from the previous one and words repeat (something to learn in a few steps).
SUBJECTS = ["the farmer", "the old sailor", "a young teacher", "the doctor", "my neighbour", "the baker"]
VERBS = ["walked to", "looked at", "painted", "repaired", "cleaned", "visited"]
OBJECTS = ["the red barn", "the small boat", "the school garden", "the quiet harbour", "the long bridge",
           "the village church", "the green door"]
ENDINGS = ["in the morning.", "after the rain.", "before dinner.", "with great care.", "for the first time."]


def write_corpus(folder, n_train=120, n_heldout=12, seed=0):
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    for split, n in (("train", n_train), ("heldout", n_heldout)):
        with open(os.path.join(folder, f"{split}.txt"), "w") as f, \
             open(os.path.join(folder, f"{split}.doc_sources.txt"), "w") as s:
            for d in range(n):
                subject = rng.choice(SUBJECTS)
                sentences = [f"{subject.capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(ENDINGS)}"
                             for _ in range(rng.randint(2, 9))]
                f.write("\n".join(sentences) + "\n\n")
                s.write(f"{d % 3}\n")


class LearningTest(unittest.TestCase):
    def test_loss_decreases_on_a_tiny_batch(self):
        torch.manual_seed(0)
        model = BertForPreTraining(BertConfig(**TINY, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
        g = torch.Generator().manual_seed(0)
        B, T = 8, 32
        ids = torch.randint(1000, 1200, (B, T), generator=g)
        ids[:, 0], ids[:, 15], ids[:, T - 1] = data.CLS_ID, data.SEP_ID, data.SEP_ID
        attn = torch.ones(B, T, dtype=torch.long)
        types = torch.zeros(B, T, dtype=torch.long)
        types[:, 16:] = 1
        nsp = torch.tensor([0, 1] * (B // 2))
        continuation = torch.zeros(data.VOCAB_SIZE, dtype=torch.bool)
        corrupted, positions, labels = data.mask_tokens(ids, attn, continuation, torch.Generator().manual_seed(1))
        optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
        losses = []
        for _ in range(40):
            _, _, loss = model(corrupted, types, attn, positions, labels, nsp)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
        self.assertLess(losses[-1], 0.5 * losses[0], f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")


@unittest.skipUnless(shutil.which("node"), "node is needed to tokenise with the extension's tokenizer")
class PipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bert-lens-train-")
        corpus, cls.tokens = os.path.join(cls.tmp, "corpus"), os.path.join(cls.tmp, "tokens")
        write_corpus(corpus)
        subprocess.run(["node", os.path.join(HERE, "tokenize_corpus.mjs"), f"--corpus={corpus}",
                        f"--out={cls.tokens}", f"--vocab={os.path.join(ROOT, 'models', 'bert-lens-small', 'vocab.txt')}"],
                       check=True, capture_output=True, cwd=ROOT)
        cls.run_dir = os.path.join(cls.tmp, "run")
        cls.common = [f"--token_dir={cls.tokens}", "--batch_size=16",
                      "--max_seq_length=64", "--warmup_steps=5", "--learning_rate=2e-3", "--log_interval=5",
                      "--eval_interval=1000", "--eval_max_instances=64", "--num_workers=0", "--compile=False",
                      "--device=cpu", "--same_source_prob=0.5"] + [f"--{k}={v}" for k, v in TINY.items()]
        cls.first = cls.train(cls.run_dir, "--max_steps=40")
        cls.log = cls.read_log(cls.run_dir)
        # a run killed right after its first checkpoint, then resumed
        cls.crash_dir = os.path.join(cls.tmp, "crash")
        killed = subprocess.Popen(cls.command(cls.crash_dir, "--max_steps=40", "--checkpoint_interval=10"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        while killed.poll() is None and not os.path.exists(os.path.join(cls.crash_dir, "ckpt.pt")):
            time.sleep(0.02)
        killed.kill()
        killed.wait()
        cls.resumed = cls.train(cls.crash_dir, "--resume=True")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def command(cls, out_dir, *args):
        return [sys.executable, os.path.join(HERE, "train.py"), f"--out_dir={out_dir}", *cls.common, *args]

    @classmethod
    def train(cls, out_dir, *args):
        return subprocess.run(cls.command(out_dir, *args), capture_output=True, text=True, cwd=ROOT)

    @staticmethod
    def read_log(out_dir):
        with open(os.path.join(out_dir, "log.jsonl")) as f:
            return [json.loads(line) for line in f]

    def test_shards_hold_the_documents(self):
        docs = data.load_split(self.tokens, "train")
        self.assertEqual(len(docs), 120)
        self.assertTrue(all(2 <= len(d) <= 9 for d in docs))
        self.assertEqual(len(data.load_sources(self.tokens, "heldout")), 12)

    def test_training_runs_and_the_loss_decreases(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr[-2000:])
        steps = [r for r in self.log if "loss" in r]
        self.assertEqual([r["step"] for r in steps], [5, 10, 15, 20, 25, 30, 35, 40])
        self.assertLess(steps[-1]["loss"], steps[0]["loss"] - 1.0, [r["loss"] for r in steps])

    def test_the_export_loads_as_a_hugging_face_folder(self):
        export = os.path.join(self.run_dir, "export")
        with open(os.path.join(export, "config.json")) as f:
            config = json.load(f)
        self.assertEqual(config["architectures"], ["BertForPreTraining"])
        self.assertEqual(config["hidden_size"], 64)
        model = from_pretrained(export)
        self.assertEqual(model.bert.embeddings.word_embeddings.weight.shape, (data.VOCAB_SIZE, 64))
        with open(os.path.join(self.run_dir, "eval.json")) as f:
            metrics = json.load(f)
        for key in ("mlm_accuracy", "nsp_accuracy", "nsp_accuracy_same_source"):
            self.assertGreaterEqual(metrics[key], 0.0)
            self.assertLessEqual(metrics[key], 1.0)

    def test_a_killed_run_resumes_from_its_checkpoint_and_finishes(self):
        self.assertEqual(self.resumed.returncode, 0, self.resumed.stderr[-2000:])
        resumed_at = re.search(r"resumed from .* at step (\d+)", self.resumed.stdout)
        self.assertIsNotNone(resumed_at, self.resumed.stdout[-2000:])
        self.assertTrue(10 <= int(resumed_at.group(1)) < 40, resumed_at.group(0))
        final = [r for r in self.read_log(self.crash_dir) if "eval" in r][-1]
        self.assertEqual(final["eval"]["step"], 40)
        self.assertTrue(os.path.exists(os.path.join(self.crash_dir, "export", "model.safetensors")))

    def test_unknown_options_are_refused(self):
        result = self.train(os.path.join(self.tmp, "refused"), "--hidden_sise=64")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("unknown or malformed option", result.stderr)


if __name__ == "__main__":
    unittest.main()
