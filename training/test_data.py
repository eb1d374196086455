"""
Unit tests of the pre-training data recipe (training/data.py): pairing for next sentence
prediction, truncation, and the masking rates. CPU only, no corpus needed.

    python3 -m unittest training/test_data.py          # from the repository root
    cd training && python3 -m unittest test_data
"""
import os
import random
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

SENTENCE_LENGTH = 8


def synthetic_documents(n_docs=200, seed=0):
    """Every token of sentence s of document d has the id 1000 + 50 d + s, so an instance tells
    where each of its tokens came from. Fixed sentence length (8) keeps truncation below one
    sentence, so adjacency survives it."""
    rng = random.Random(seed)
    docs = []
    for d in range(n_docs):
        n_sentences = rng.randint(1, 40)
        docs.append([np.full(SENTENCE_LENGTH, 1000 + 50 * d + s, dtype=np.uint16) for s in range(n_sentences)])
    return docs


def origin(token):
    return (int(token) - 1000) // 50, (int(token) - 1000) % 50


class PairingTest(unittest.TestCase):
    def setUp(self):
        self.docs = synthetic_documents()
        self.inst = data.create_instances(self.docs, 128, 0.1, random.Random(42))

    def parts(self, k):
        row = self.inst["input_ids"][k]
        a_len, b_len = int(self.inst["len_a"][k]), int(self.inst["len_b"][k])
        return row, row[1:1 + a_len], row[2 + a_len:2 + a_len + b_len]

    def test_layout_is_cls_a_sep_b_sep_then_padding(self):
        for k in range(len(self.inst["input_ids"])):
            row, a, b = self.parts(k)
            n = len(a) + len(b) + 3
            self.assertLessEqual(n, 128)
            self.assertGreaterEqual(len(a), 1)
            self.assertGreaterEqual(len(b), 1)
            self.assertEqual(row[0], data.CLS_ID)
            self.assertEqual(row[1 + len(a)], data.SEP_ID)
            self.assertEqual(row[n - 1], data.SEP_ID)
            self.assertTrue((row[n:] == data.PAD_ID).all())

    def test_actual_next_continues_a_and_random_next_comes_from_another_document(self):
        for k in range(len(self.inst["input_ids"])):
            _, a, b = self.parts(k)
            a_doc = {origin(t)[0] for t in a}
            self.assertEqual(len(a_doc), 1)                      # A is from one document
            if self.inst["is_random_next"][k]:
                self.assertNotIn(next(iter(a_doc)), {origin(t)[0] for t in b})
            else:
                self.assertEqual({origin(t)[0] for t in b}, a_doc)
                self.assertEqual(origin(b[0])[1], origin(a[-1])[1] + 1)   # B starts right after A

    def test_half_the_pairs_are_random_next(self):
        # slightly above 0.5: a one-sentence chunk can only be paired with a random B
        rate = self.inst["is_random_next"].mean()
        self.assertGreater(rate, 0.48)
        self.assertLess(rate, 0.60)

    def test_unused_sentences_are_put_back(self):
        """Every sentence of a multi-sentence document appears in an A or an actual-next B:
        segments skipped when B was drawn at random are not lost."""
        covered = set()
        for k in range(len(self.inst["input_ids"])):
            _, a, b = self.parts(k)
            covered |= {origin(t) for t in a}
            if not self.inst["is_random_next"][k]:
                covered |= {origin(t) for t in b}
        for d, doc in enumerate(self.docs):
            if len(doc) >= 2:
                for s in range(len(doc)):
                    self.assertIn((d, s), covered)

    def test_short_sequences_appear_at_about_short_seq_prob(self):
        # documents long enough to fill 125 tokens: a short target shows as a short instance
        docs = [[np.full(SENTENCE_LENGTH, 1000 + 50 * d + s, dtype=np.uint16) for s in range(40)] for d in range(400)]
        rng = random.Random(3)
        short = total = 0
        for d in range(len(docs)):
            first = data.create_instances_from_document(docs, d, 128, 0.1, rng)[0]
            total += 1
            short += len(first[0]) + len(first[1]) < 100
        self.assertGreater(short / total, 0.05)
        self.assertLess(short / total, 0.16)

    def test_same_seed_same_instances(self):
        again = data.create_instances(self.docs, 128, 0.1, random.Random(42))
        self.assertTrue((again["input_ids"] == self.inst["input_ids"]).all())


class SameSourceTest(unittest.TestCase):
    def test_random_next_from_the_same_source_when_asked(self):
        docs = synthetic_documents()
        sources = np.array([d % 4 for d in range(len(docs))], dtype=np.uint8)   # 4 sources
        for prob, low, high in ((1.0, 0.99, 1.0), (0.5, 0.55, 0.70), (0.0, 0.18, 0.32)):
            inst = data.create_instances(docs, 128, 0.1, random.Random(7), sources, prob)
            same = total = 0
            for k in np.flatnonzero(inst["is_random_next"]):
                la = int(inst["len_a"][k])
                a_doc = origin(inst["input_ids"][k][1])[0]
                b_doc = origin(inst["input_ids"][k][2 + la])[0]
                self.assertNotEqual(a_doc, b_doc)
                same += sources[a_doc] == sources[b_doc]
                total += 1
            # expected share: prob + (1 - prob) / 4 (a uniform document is same-source 1 time in 4)
            self.assertGreaterEqual(same / total, low, prob)
            self.assertLessEqual(same / total, high, prob)

    def test_default_draws_are_the_original_recipe(self):
        docs = synthetic_documents()
        sources = np.zeros(len(docs), dtype=np.uint8)
        a = data.create_instances(docs, 128, 0.1, random.Random(9))
        b = data.create_instances(docs, 128, 0.1, random.Random(9), sources, 0.0)
        self.assertTrue((a["input_ids"] == b["input_ids"]).all())


class TruncateTest(unittest.TestCase):
    def test_cuts_the_longer_side_to_fit(self):
        rng = random.Random(0)
        for _ in range(500):
            la, lb = rng.randint(1, 300), rng.randint(1, 300)
            fa, ba, fb, bb = data.truncate_seq_pair(la, lb, 125, rng)
            na, nb = la - fa - ba, lb - fb - bb
            self.assertLessEqual(na + nb, 125)
            if la + lb > 125:
                self.assertEqual(na + nb, 125)
                self.assertLessEqual(abs(na - nb), max(1, abs(la - lb)))
            else:
                self.assertEqual((fa, ba, fb, bb), (0, 0, 0, 0))

    def test_cuts_both_ends_about_equally(self):
        rng = random.Random(1)
        fronts = backs = 0
        for _ in range(200):
            fa, ba, _, _ = data.truncate_seq_pair(200, 10, 125, rng)
            fronts, backs = fronts + fa, backs + ba
        self.assertAlmostEqual(fronts / (fronts + backs), 0.5, delta=0.03)


class MaskingTest(unittest.TestCase):
    def setUp(self):
        g = torch.Generator().manual_seed(0)
        B, T = 2000, 128
        self.ids = torch.randint(1000, 30000, (B, T), generator=g)
        self.ids[:, 0] = data.CLS_ID
        self.ids[:, 60] = data.SEP_ID
        self.ids[:, T - 1] = data.SEP_ID
        self.attn = torch.ones(B, T, dtype=torch.long)
        self.continuation = torch.zeros(data.VOCAB_SIZE, dtype=torch.bool)
        self.continuation[20000:] = True                 # ids >= 20000 act as "##" pieces

    def mask(self, seed=1, **kw):
        return data.mask_tokens(self.ids, self.attn, self.continuation, torch.Generator().manual_seed(seed), **kw)

    def chosen(self, positions, labels):
        c = torch.zeros_like(self.ids, dtype=torch.bool)
        rows = torch.arange(len(self.ids))[:, None].expand_as(positions)
        valid = labels >= 0
        c[rows[valid], positions[valid]] = True
        return c

    def test_fifteen_percent_capped_at_max_predictions(self):
        _, positions, labels = self.mask(max_predictions=20)
        per_seq = (labels >= 0).sum(1)
        self.assertTrue((per_seq == 19).all())           # round(128 * 0.15) = 19 <= 20
        _, _, labels = self.mask(max_predictions=10)
        self.assertTrue(((labels >= 0).sum(1) == 10).all())

    def test_short_sequences_get_round_of_fifteen_percent_and_at_least_one(self):
        attn = torch.zeros_like(self.attn)
        attn[:1000, :40] = 1                             # 40 real positions -> 6 predictions
        attn[1000:, :5] = 1                              # 5 -> max(1, round(0.75)) = 1
        ids = self.ids.clone()
        ids[:, 39] = data.SEP_ID
        ids[1000:, 4] = data.SEP_ID
        _, positions, labels = data.mask_tokens(ids, attn, self.continuation, torch.Generator().manual_seed(2))
        n = (labels >= 0).sum(1)
        self.assertTrue((n[:1000] == 6).all())
        self.assertTrue((n[1000:] == 1).all())
        self.assertTrue((attn.gather(1, positions)[labels >= 0] == 1).all())   # never padding

    def test_eighty_ten_ten(self):
        corrupted, positions, labels = self.mask()
        chosen = self.chosen(positions, labels)
        n = chosen.sum().item()
        as_mask = (corrupted[chosen] == data.MASK_ID).float().mean().item()
        unchanged = (corrupted[chosen] == self.ids[chosen]).float().mean().item()
        random_other = 1 - as_mask - unchanged
        self.assertGreater(n, 30000)
        self.assertAlmostEqual(as_mask, 0.8, delta=0.01)
        self.assertAlmostEqual(unchanged, 0.1, delta=0.01)
        self.assertAlmostEqual(random_other, 0.1, delta=0.01)
        # nothing outside the chosen positions changes
        self.assertTrue((corrupted[~chosen] == self.ids[~chosen]).all())

    def test_labels_are_the_original_tokens_and_specials_are_never_chosen(self):
        _, positions, labels = self.mask()
        valid = labels >= 0
        self.assertTrue((labels[valid] == self.ids.gather(1, positions)[valid]).all())
        picked = self.ids.gather(1, positions)[valid]
        self.assertFalse(((picked == data.CLS_ID) | (picked == data.SEP_ID)).any())

    def test_positions_are_uniform_over_real_tokens(self):
        _, positions, labels = self.mask()
        counts = torch.bincount(positions[labels >= 0], minlength=128).float()
        real = counts[[p for p in range(128) if p not in (0, 60, 127)]]
        self.assertLess((real.max() / real.min()).item(), 1.35)
        self.assertEqual(counts[[0, 60, 127]].sum().item(), 0)

    def test_dynamic_masks_differ_between_draws_and_repeat_with_the_seed(self):
        a, _, _ = self.mask(seed=1)
        b, _, _ = self.mask(seed=2)
        c, _, _ = self.mask(seed=1)
        self.assertTrue(torch.equal(a, c))
        self.assertGreater((a != b).float().mean().item(), 0.1)

    def test_whole_word_masking_takes_all_pieces_of_a_word(self):
        corrupted, positions, labels = self.mask(whole_word=True)
        chosen = self.chosen(positions, labels)
        word_start = ~self.continuation[self.ids] | (self.ids == data.CLS_ID) | (self.ids == data.SEP_ID)
        word_id = torch.cumsum(word_start.long(), 1)
        for r in range(200):
            for w in torch.unique(word_id[r]):
                in_word = word_id[r] == w
                self.assertIn(chosen[r][in_word].sum().item(), (0, in_word.sum().item()))
        per_seq = (labels >= 0).sum(1).float()
        self.assertTrue((per_seq <= 19).all())
        self.assertGreater(per_seq.mean().item(), 14)    # words that don't fit are dropped, few
        self.assertAlmostEqual((corrupted[chosen] == data.MASK_ID).float().mean().item(), 0.8, delta=0.015)


class BatchTest(unittest.TestCase):
    def test_segment_ids_and_attention_mask_follow_the_lengths(self):
        inst = data.create_instances(synthetic_documents(20), 64, 0.1, random.Random(5))
        ids, types, attn, nsp = data.batch_tensors(inst, np.arange(len(inst["input_ids"])), "cpu")
        for k in range(len(ids)):
            la, lb = int(inst["len_a"][k]), int(inst["len_b"][k])
            self.assertEqual(types[k].tolist(), [0] * (la + 2) + [1] * (lb + 1) + [0] * (64 - la - lb - 3))
            self.assertEqual(attn[k].tolist(), [1] * (la + lb + 3) + [0] * (64 - la - lb - 3))
            self.assertEqual(int(nsp[k]), int(inst["is_random_next"][k]))


if __name__ == "__main__":
    unittest.main()
