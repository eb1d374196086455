"""
Pre-training data, the google-research/bert recipe (create_pretraining_data.py) as plain
functions with one seeded rng passed in, no global flags:

    load_split -> create_instances -> create_instances_from_document -> truncate_seq_pair
    (per epoch, on CPU, Python `random.Random`)
    mask_tokens (per batch, on the training device, `torch.Generator`: DYNAMIC masking — a
    sequence gets fresh masks every time it is seen, as RoBERTa does, instead of BERT's
    10 static copies)

    python3 training/data.py                 # prints a few instances of the held-out split
    python3 -m unittest training/test_data.py

Token shards come from training/tokenize_corpus.mjs (the extension's own WordPiece tokenizer).
An instance is `[CLS] A [SEP] B [SEP]` padded to max_seq_length with [PAD] (id 0); it is
stored as its token ids plus len_a and len_b, from which segment ids and the attention mask
follow.
"""
import gzip
import json
import os
import random

import numpy as np
import torch

PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 100, 101, 102, 103
VOCAB_SIZE = 30522


# ----------------------------------------------------------------------------- corpus

def load_split(token_dir, split):
    """A split as a list of documents; a document is a list of sentences (uint16 arrays,
    views into one big array)."""
    def read(name, dtype):
        with gzip.open(os.path.join(token_dir, f"{split}.{name}.gz"), "rb") as f:
            return np.frombuffer(f.read(), dtype=dtype)
    ids = read("ids.u16", "<u2")
    sentence_ends = read("sentences.u32", "<u4").astype(np.int64)
    document_ends = read("documents.u32", "<u4").astype(np.int64)
    sentence_starts = np.concatenate([[0], sentence_ends[:-1]])
    sentences = [ids[s:e] for s, e in zip(sentence_starts, sentence_ends)]
    documents, start = [], 0
    for end in document_ends:
        documents.append(sentences[start:end])
        start = end
    return documents


def load_sources(token_dir, split):
    """Source index of each document (uint8 array), or None for shards written without it."""
    path = os.path.join(token_dir, f"{split}.sources.u8.gz")
    if not os.path.exists(path):
        return None
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8)


def load_continuation_table(vocab_path):
    """Bool array over the vocabulary: True for word pieces that continue a word ("##ing")."""
    with open(vocab_path, encoding="utf-8") as f:
        tokens = f.read().split("\n")[:VOCAB_SIZE]
    assert len(tokens) == VOCAB_SIZE, f"{vocab_path}: expected {VOCAB_SIZE} tokens"
    return np.array([t.startswith("##") for t in tokens], dtype=bool)


# ----------------------------------------------------------------------------- instances

def truncate_seq_pair(len_a, len_b, max_num_tokens, rng):
    """Truncates a pair to max_num_tokens, always from the longer side, from its front or back
    at random (as the original does, to add noise and avoid always cutting the same end).
    Works on lengths: returns (cut_front_a, cut_back_a, cut_front_b, cut_back_b)."""
    cuts = [0, 0, 0, 0]
    while len_a + len_b > max_num_tokens:
        if len_a > len_b:
            side, len_a = 0, len_a - 1
        else:
            side, len_b = 2, len_b - 1
        cuts[side + (0 if rng.random() < 0.5 else 1)] += 1
    assert len_a >= 1 and len_b >= 1
    return tuple(cuts)


def create_instances_from_document(documents, document_index, max_seq_length, short_seq_prob, rng,
                                   same_source=None, same_source_prob=0.0):
    """All (tokens_a, tokens_b, is_random_next) pairs from one document, as the original:
    chunks of whole sentences up to a target length; A = the first 1..n-1 sentences of the
    chunk; B = the rest (actual next) or, half the time, sentences from a random other
    document (random next), in which case the chunk's unused sentences are put back.

    Not in the original: with same_source (the indices of the documents from this document's
    source) and same_source_prob > 0, that share of the random-next segments come from the same
    source, so that NSP cannot be solved by telling a man page from a novel alone. With the
    defaults the rng draws are exactly the original's."""
    document = documents[document_index]
    max_num_tokens = max_seq_length - 3              # [CLS], [SEP], [SEP]
    # Mostly full-length sequences, for efficiency; 10% shorter ones so the model also sees
    # the short inputs it meets when fine-tuned. (As in the original, chosen per document.)
    target_seq_length = max_num_tokens
    if rng.random() < short_seq_prob:
        target_seq_length = rng.randint(2, max_num_tokens)

    instances, chunk, chunk_length, i = [], [], 0, 0
    while i < len(document):
        segment = document[i]
        chunk.append(segment)
        chunk_length += len(segment)
        if i == len(document) - 1 or chunk_length >= target_seq_length:
            if chunk:
                a_end = rng.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
                tokens_a = list(chunk[:a_end])
                tokens_b = []
                if len(chunk) == 1 or rng.random() < 0.5:
                    is_random_next = True
                    target_b_length = target_seq_length - sum(len(s) for s in tokens_a)
                    # 10 tries to find another document; tiny corpora may fail, as in the original
                    pool = None
                    if same_source_prob > 0 and same_source is not None and len(same_source) > 1 \
                            and rng.random() < same_source_prob:
                        pool = same_source
                    for _ in range(10):
                        random_document_index = (rng.randint(0, len(documents) - 1) if pool is None
                                                 else pool[rng.randint(0, len(pool) - 1)])
                        if random_document_index != document_index:
                            break
                    random_document = documents[random_document_index]
                    random_start = rng.randint(0, len(random_document) - 1)
                    b_length = 0
                    for j in range(random_start, len(random_document)):
                        tokens_b.append(random_document[j])
                        b_length += len(random_document[j])
                        if b_length >= target_b_length:
                            break
                    # put the unused sentences back so they are not wasted
                    i -= len(chunk) - a_end
                else:
                    is_random_next = False
                    tokens_b = list(chunk[a_end:])
                a = np.concatenate(tokens_a)
                b = np.concatenate(tokens_b) if tokens_b else np.zeros(0, np.uint16)
                if len(a) >= 1 and len(b) >= 1:
                    fa, ba, fb, bb = truncate_seq_pair(len(a), len(b), max_num_tokens, rng)
                    instances.append((a[fa:len(a) - ba], b[fb:len(b) - bb], is_random_next))
            chunk, chunk_length = [], 0
        i += 1
    return instances


def create_instances(documents, max_seq_length, short_seq_prob, rng, sources=None, same_source_prob=0.0):
    """One pass over all documents (in random order), instances shuffled, packed as arrays:
    input_ids (N, max_seq_length) uint16, len_a (N,), len_b (N,), is_random_next (N,).
    sources: source index per document (needed only when same_source_prob > 0)."""
    by_source = {}
    if same_source_prob > 0:
        assert sources is not None and len(sources) == len(documents), "same_source_prob needs sources"
        for d, src in enumerate(sources):
            by_source.setdefault(int(src), []).append(d)
    order = list(range(len(documents)))
    rng.shuffle(order)
    instances = []
    for document_index in order:
        same = by_source[int(sources[document_index])] if by_source else None
        instances.extend(create_instances_from_document(documents, document_index, max_seq_length,
                                                        short_seq_prob, rng, same, same_source_prob))
    rng.shuffle(instances)
    n = len(instances)
    input_ids = np.zeros((n, max_seq_length), dtype=np.uint16)
    len_a = np.zeros(n, dtype=np.int16)
    len_b = np.zeros(n, dtype=np.int16)
    is_random_next = np.zeros(n, dtype=np.bool_)
    for k, (a, b, random_next) in enumerate(instances):
        row = input_ids[k]
        row[0] = CLS_ID
        row[1:1 + len(a)] = a
        row[1 + len(a)] = SEP_ID
        row[2 + len(a):2 + len(a) + len(b)] = b
        row[2 + len(a) + len(b)] = SEP_ID
        len_a[k], len_b[k], is_random_next[k] = len(a), len(b), random_next
    return {"input_ids": input_ids, "len_a": len_a, "len_b": len_b, "is_random_next": is_random_next}


def epoch_instances(args):
    """Worker entry point for multiprocessing: (token_dir, split, epoch, seed, max_seq_length,
    short_seq_prob, same_source_prob) -> instances of that epoch. Each epoch has its own
    seeded rng, so the stream is the same whatever the number of workers."""
    token_dir, split, epoch, seed, max_seq_length, short_seq_prob, same_source_prob = args
    documents = _cached_split(token_dir, split)
    sources = load_sources(token_dir, split) if same_source_prob > 0 else None
    return create_instances(documents, max_seq_length, short_seq_prob, random.Random(seed * 1_000_003 + epoch),
                            sources, same_source_prob)


_split_cache = {}


def _cached_split(token_dir, split):
    if (token_dir, split) not in _split_cache:
        _split_cache[(token_dir, split)] = load_split(token_dir, split)
    return _split_cache[(token_dir, split)]


# ----------------------------------------------------------------------------- batches

def batch_tensors(instances, index, device):
    """Rows `index` of an epoch's instances as tensors on `device`: input_ids (B, T) long,
    token_type_ids (B, T), attention_mask (B, T), next_sentence_label (B,) (1 = random next,
    as in Hugging Face's BertForPreTraining: 0 = B continues A)."""
    T = instances["input_ids"].shape[1]
    packed = np.empty((len(index), T + 3), dtype=np.int64)       # one host-to-device copy
    packed[:, :T] = instances["input_ids"][index]
    packed[:, T] = instances["len_a"][index]
    packed[:, T + 1] = instances["len_b"][index]
    packed[:, T + 2] = instances["is_random_next"][index]
    packed = torch.from_numpy(packed)
    if torch.device(device).type == "cuda":                       # pinned: the copy overlaps compute
        packed = packed.pin_memory().to(device, non_blocking=True)
    ids, len_a, len_b, nsp = packed[:, :T], packed[:, T], packed[:, T + 1], packed[:, T + 2]
    position = torch.arange(ids.shape[1], device=device)[None, :]            # (1, T)
    end_a = (len_a + 2)[:, None]                                            # [CLS] A [SEP]
    end_b = (len_a + len_b + 3)[:, None]                                    # ... B [SEP]
    token_type_ids = ((position >= end_a) & (position < end_b)).long()
    attention_mask = (position < end_b).long()
    return ids, token_type_ids, attention_mask, nsp


def mask_tokens(input_ids, attention_mask, continuation, generator, masked_lm_prob=0.15,
                max_predictions=20, whole_word=False, vocab_size=VOCAB_SIZE):
    """BERT's masked-LM corruption for a batch, fixed-shape for the GPU.

    Per sequence, num_to_predict = min(max_predictions, max(1, round(len * masked_lm_prob)))
    positions (len counts [CLS]/[SEP], as the original) are drawn among the real tokens;
    whole_word draws whole words ("##" pieces follow their word) and drops a word that would
    not fit. Each chosen position becomes [MASK] 80% of the time (the task), a random token
    10% (so the model cannot assume the input is right where there is no [MASK]), and stays
    unchanged 10% (so the representation of observed words is also trained).

    input_ids (B, T) long, attention_mask (B, T), continuation: bool tensor over the vocab.
    Returns corrupted ids (B, T), masked_positions (B, P) and masked_labels (B, P) with -100
    where a slot is unused (P = max_predictions)."""
    B, T = input_ids.shape
    device = input_ids.device
    special = (input_ids == CLS_ID) | (input_ids == SEP_ID) | (attention_mask == 0)
    length = attention_mask.sum(1)                                               # (B,)
    num_to_predict = torch.clamp(torch.round(length.float() * masked_lm_prob), min=1,
                                 max=max_predictions).long()                     # (B,)
    position = torch.arange(T, device=device)
    if whole_word:
        word_start = ~continuation[input_ids] | special
        word_id = torch.cumsum(word_start.long(), dim=1) - 1                     # (B, T)
        word_score = torch.rand(B, T, generator=generator, device=device)
        score = torch.gather(word_score, 1, word_id)          # every piece has its word's score
    else:
        word_id = None
        score = torch.rand(B, T, generator=generator, device=device)
    score = score.masked_fill(special, -1.0)
    # rank = order of tokens by score, ties (pieces of one word) kept in position order
    order = torch.sort(score, dim=1, descending=True, stable=True).indices        # (B, T)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, position.expand(B, T).contiguous())
    chosen = (rank < num_to_predict[:, None]) & ~special
    if whole_word:
        # keep a word only if all its pieces were chosen
        pieces = torch.zeros(B, T, device=device, dtype=torch.long).scatter_add_(1, word_id, torch.ones_like(word_id))
        picked = torch.zeros(B, T, device=device, dtype=torch.long).scatter_add_(1, word_id, chosen.long())
        chosen = chosen & (torch.gather(picked, 1, word_id) == torch.gather(pieces, 1, word_id))

    draw = torch.rand(B, T, generator=generator, device=device)
    random_ids = torch.randint(0, vocab_size, (B, T), generator=generator, device=device)
    corrupted = torch.where(chosen & (draw < 0.8), torch.full_like(input_ids, MASK_ID), input_ids)
    corrupted = torch.where(chosen & (draw >= 0.9), random_ids, corrupted)

    # chosen positions first, in position order; P fixed slots
    key = torch.where(chosen, T - position, torch.zeros_like(position).expand(B, T))
    top = torch.topk(key, max_predictions, dim=1)
    masked_positions = top.indices
    masked_labels = torch.gather(input_ids, 1, masked_positions).masked_fill(top.values == 0, -100)
    return corrupted, masked_positions, masked_labels


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    token_dir = os.path.join(here, "data", "tokens")
    vocab_path = os.path.join(token_dir, "vocab.txt")
    with open(vocab_path, encoding="utf-8") as f:
        vocab = f.read().split("\n")
    docs = load_split(token_dir, "heldout")
    inst = create_instances(docs, 128, 0.1, random.Random(0))
    print(f"{len(docs)} documents -> {len(inst['input_ids'])} instances, "
          f"{inst['is_random_next'].mean():.3f} random next")
    ids, tt, am, nsp = batch_tensors(inst, np.arange(3), "cpu")
    cont = torch.from_numpy(load_continuation_table(vocab_path))
    corrupted, pos, labels = mask_tokens(ids, am, cont, torch.Generator().manual_seed(0), whole_word=True)
    for r in range(3):
        n = int(am[r].sum())
        print(f"--- random_next={bool(nsp[r])}")
        print(" ".join(vocab[t] for t in corrupted[r, :n].tolist()))
        print("targets:", [(p, vocab[l]) for p, l in zip(pos[r].tolist(), labels[r].tolist()) if l >= 0])
