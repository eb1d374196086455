/**
 * Probabilities from MLM logits, shared by fill-mask, replacements and surprisal: a stable
 * softmax (log-sum-exp), top-k selection with an optional filter, the rank of one token, and
 * the classification of the vocabulary into whole words, continuation pieces, punctuation and
 * reserved tokens (what may be offered as a whole-word candidate).
 */
import type { BertTokenizer } from './tokenizer';
import type { TokenPrediction } from './types';

/**
 * Reads the rows of an `mlm_logits` tensor [batch, positions, columns] as scores over the
 * vocabulary's `vocabularySize` tokens. A checkpoint may pad vocab_size past its vocab.txt
 * (to a multiple of 8 or 64, for faster matrix products): the padding columns have no token,
 * so they are left out and probabilities are taken over real tokens only.
 */
export function logitRows(
  logits: { dims: readonly number[]; data: Float32Array },
  numPositions: number,
  vocabularySize: number,
): (batchIndex: number, position: number) => Float32Array {
  const columns = logits.dims[2];
  if (columns < vocabularySize) {
    throw new Error(`mlm_logits has ${columns} columns, fewer than the vocabulary's ${vocabularySize} tokens`);
  }
  return (b, j) => {
    const start = (b * numPositions + j) * columns;
    return logits.data.subarray(start, start + vocabularySize);
  };
}

/** Throws unless `topK` is a positive integer; caps it at the vocabulary size. */
export function checkedTopK(topK: number, vocabSize: number): number {
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`topK must be a positive integer, got ${topK}`);
  return Math.min(topK, vocabSize);
}

/**
 * The `k` highest-probability tokens of one logits row, sorted by descending probability.
 * Probabilities are exp(logit − logsumexp(row)), computed stably; selection keeps a k-sized
 * min-heap instead of sorting the whole vocabulary.
 */
export function topPredictions(
  logits: ArrayLike<number>,
  k: number,
  tokenOf: (id: number) => string,
): TokenPrediction[] {
  const ids = topKIndices(logits, k);
  const logSumExp = logSumExpOf(logits);
  return ids.map((id) => ({ token: tokenOf(id), id, score: Math.exp(logits[id] - logSumExp) }));
}

/** log(Σ exp(x)) without overflow: max + log(Σ exp(x − max)). */
export function logSumExpOf(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  if (!Number.isFinite(max)) throw new Error(`Logits are not finite (max ${max})`);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}

/**
 * Indices of the `k` largest values, largest first (ties: lower index first). With `accept`,
 * only the indices it accepts compete.
 */
export function topKIndices(values: ArrayLike<number>, k: number, accept?: (index: number) => boolean): number[] {
  const n = Math.min(k, values.length);
  if (n <= 0) return [];
  // heap[0] is the smallest kept value ("worse" = smaller value, or equal value with higher index).
  const heap: number[] = [];
  const worse = (a: number, b: number) => values[a] < values[b] || (values[a] === values[b] && a > b);
  const siftDown = (start: number) => {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && worse(heap[left], heap[smallest])) smallest = left;
      if (right < heap.length && worse(heap[right], heap[smallest])) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
      i = smallest;
    }
  };
  for (let index = 0; index < values.length; index++) {
    if (accept && !accept(index)) continue;
    if (heap.length < n) {
      heap.push(index);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i], heap[parent])) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (values[index] >= values[heap[0]] && worse(heap[0], index)) {
      heap[0] = index;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

/**
 * 1 + the number of accepted indices that rank above `index` in `values` (higher value, or an
 * equal value at a lower index): the rank `topKIndices` would give it among the accepted.
 */
export function rankOf(values: ArrayLike<number>, index: number, accept?: (index: number) => boolean): number {
  const own = values[index];
  let above = 0;
  for (let i = 0; i < values.length; i++) {
    if (i === index || (accept && !accept(i))) continue;
    if (values[i] > own || (values[i] === own && i < index)) above++;
  }
  return above + 1;
}

/** What a vocabulary token is, for choosing whole-word candidates. */
export enum TokenKind {
  /** `[PAD]`, `[CLS]`, `[unused7]`, … : never a candidate. */
  Reserved = 0,
  /** `##ing`: a continuation piece, never a whole word by itself. */
  Continuation = 1,
  /** A word-initial piece with a letter or digit in it. */
  Word = 2,
  /** A word-initial piece without letters or digits: `,`, `$`, `…`. */
  Punctuation = 3,
}

const RESERVED = /^\[[^\]\s]+\]$/;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const kindsCache = new WeakMap<BertTokenizer, Uint8Array>();

/** The kind of every vocabulary token (index = id), computed once per tokenizer. */
export function tokenKinds(tokenizer: BertTokenizer): Uint8Array {
  let kinds = kindsCache.get(tokenizer);
  if (!kinds) {
    kinds = new Uint8Array(tokenizer.vocabSize);
    for (let id = 0; id < kinds.length; id++) kinds[id] = kindOfToken(tokenizer.idToToken(id));
    kindsCache.set(tokenizer, kinds);
  }
  return kinds;
}

export function kindOfToken(token: string): TokenKind {
  if (RESERVED.test(token)) return TokenKind.Reserved;
  if (token.startsWith('##')) return TokenKind.Continuation;
  return LETTER_OR_DIGIT.test(token) ? TokenKind.Word : TokenKind.Punctuation;
}

/** True when `text` has no letter or digit (a punctuation mark or symbol). */
export function isPunctuationText(text: string): boolean {
  return !LETTER_OR_DIGIT.test(text);
}

/**
 * The kinds a whole-word candidate may have: words, and punctuation only where the original is
 * punctuation. A bit set over `TokenKind` for `scoreToken`.
 */
export function candidateKinds(originalIsPunctuation: boolean): number {
  return (1 << TokenKind.Word) | (originalIsPunctuation ? 1 << TokenKind.Punctuation : 0);
}

/**
 * log P(id) under the softmax of `row`, and its rank among the tokens whose kind is in
 * `allowedKinds` (itself always counted), in two passes over the row: the per-word work of a
 * document scan, so written without closures and with `expNonPositive` (≈2× Math.exp's speed).
 */
export function scoreToken(
  row: ArrayLike<number>,
  id: number,
  kinds: Uint8Array,
  allowedKinds: number,
): { logProbability: number; rank: number } {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  if (!Number.isFinite(max)) throw new Error(`Logits are not finite (max ${max})`);
  const own = row[id];
  let sum = 0;
  let above = 0;
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    sum += expNonPositive(value - max);
    if ((value > own || (value === own && i < id)) && ((allowedKinds >> kinds[i]) & 1) === 1) above++;
  }
  return { logProbability: own - (max + Math.log(sum)), rank: above + 1 };
}

const POWERS_OF_HALF = Float64Array.from({ length: 1076 }, (_, k) => Math.pow(2, -k));

/**
 * exp(d) for d ≤ 0 with a relative error below 4e-9: d = k·ln2 + r with r in [0, ln2), a
 * degree-9 Taylor polynomial for exp(r) and a table for 2^k. About twice as fast as Math.exp
 * in V8, which matters at 30,522 calls per scored word.
 */
export function expNonPositive(d: number): number {
  if (d < -745) return 0;
  const k = Math.floor(d * Math.LOG2E);
  const r = d - k * Math.LN2;
  const p =
    1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040 + r * (1 / 40320 + r / 362880))))))));
  return k < 0 ? p * POWERS_OF_HALF[-k] : p;
}
