/**
 * The next-sentence-prediction task: the probability that text B follows text A, from the
 * model's NSP head on the pooled `[CLS]` output of `[CLS] A [SEP] B [SEP]`. Over-long pairs are
 * cut longest-first by the tokenizer, as BERT's `truncate_seq_pair` does.
 *
 * Label order is BERT's and Hugging Face's (BertForPreTraining `seq_relationship`): logit 0 =
 * "B is a continuation of A" (IsNext), logit 1 = "B is a random sentence". `isNext` is the
 * softmax probability of logit 0.
 *
 * Example:
 *   const model = await loadModel('models/bert-lens-mini');
 *   const { isNext } = await nextSentenceProbability(model, 'I bought milk.', 'It was fresh.');
 *   const results = await nextSentenceProbabilities(model, [['A.', 'B.'], ['C.', 'D.']]);
 */
import type { BertModel } from './session';
import type { EncodedInput } from './types';

export interface NspResult {
  /** P(IsNext): probability that B is the continuation of A, in [0, 1]. */
  isNext: number;
  /** True when the pair was longer than the model reads and was cut (longest text first). */
  truncated: boolean;
}

export interface NspBatchOptions {
  /**
   * Pairs per model run; default `defaultNspBatchSize(model)`. Pairs of similar length are
   * grouped to limit padding.
   */
  batchSize?: number;
}

export type NspOutcome = { ok: true; result: NspResult } | { ok: false; error: Error };

export type SentencePair = readonly [a: string, b: string];

/**
 * Pairs per run on the CPU. Measured on 2 busy cores with sentence pairs of ~80 tokens: batches
 * of 4 were fastest for a 2-layer, a 4-layer (H256) and a 12-layer (H768) model; batches of 16
 * or 32 were 10-35% slower than 4 there (larger activations, no spare cores to fill).
 */
export const CPU_NSP_BATCH_SIZE = 4;
/** Pairs per run on a GPU, where one larger run beats several small ones. */
export const GPU_NSP_BATCH_SIZE = 16;

export function defaultNspBatchSize(model: BertModel): number {
  return model.executionProvider === 'cpu' ? CPU_NSP_BATCH_SIZE : GPU_NSP_BATCH_SIZE;
}

/** P(IsNext) for B following A. */
export async function nextSentenceProbability(model: BertModel, a: string, b: string): Promise<NspResult> {
  const [result] = await nextSentenceProbabilities(model, [[a, b]], { batchSize: 1 });
  return result;
}

/**
 * `nextSentenceProbability` for many pairs, batched; results in input order. Throws on the
 * first invalid pair, naming its index ("Pair 3: text B is empty") when there are several.
 */
export async function nextSentenceProbabilities(
  model: BertModel,
  pairs: readonly SentencePair[],
  options: NspBatchOptions = {},
): Promise<NspResult[]> {
  const outcomes = await nextSentenceSettled(model, pairs, options);
  return outcomes.map((outcome, i) => {
    if (!outcome.ok) throw pairs.length > 1 ? new Error(`Pair ${i + 1}: ${outcome.error.message}`) : outcome.error;
    return outcome.result;
  });
}

/**
 * Like `nextSentenceProbabilities`, but an invalid pair (an empty text) gives
 * `{ ok: false, error }` in its place instead of failing the whole batch (for JSONL input).
 * Invalid options, a model without an NSP head and model failures still throw.
 */
export async function nextSentenceSettled(
  model: BertModel,
  pairs: readonly SentencePair[],
  options: NspBatchOptions = {},
): Promise<NspOutcome[]> {
  const batchSize = options.batchSize ?? defaultNspBatchSize(model);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  assertHasNspHead(model);

  const outcomes: NspOutcome[] = new Array(pairs.length);
  const valid: number[] = [];
  pairs.forEach(([a, b], i) => {
    if (typeof a !== 'string' || a.trim() === '') outcomes[i] = { ok: false, error: new Error('text A is empty') };
    else if (typeof b !== 'string' || b.trim() === '') outcomes[i] = { ok: false, error: new Error('text B is empty') };
    else valid.push(i);
  });
  const encoded: EncodedInput[] = new Array(pairs.length);
  const encodings = await model.tokenizer.encodePairs(valid.map((i) => pairs[i]));
  valid.forEach((pairIndex, j) => (encoded[pairIndex] = encodings[j]));

  // Group pairs of similar length so a batch pads little; results stay in input order.
  valid.sort((x, y) => encoded[x].ids.length - encoded[y].ids.length);
  for (let first = 0; first < valid.length; first += batchSize) {
    const chunk = valid.slice(first, first + batchSize);
    const { outputs } = await model.run(
      chunk.map((i) => encoded[i]),
      { outputs: ['nsp_logits'] },
    );
    const logits = outputs.nsp_logits;
    if (logits.dims.length !== 2 || logits.dims[1] !== 2) throw new Error(`nsp_logits has shape [${logits.dims.join(', ')}], expected [batch, 2]`);
    chunk.forEach((pairIndex, row) => {
      outcomes[pairIndex] = {
        ok: true,
        result: { isNext: isNextProbability(logits.data[2 * row], logits.data[2 * row + 1]), truncated: encoded[pairIndex].truncated },
      };
    });
  }
  return outcomes;
}

/** softmax([isNextLogit, notNextLogit])[0], computed without overflow. */
export function isNextProbability(isNextLogit: number, notNextLogit: number): number {
  const difference = notNextLogit - isNextLogit;
  if (Number.isNaN(difference)) throw new Error(`NSP logits are not finite (${isNextLogit}, ${notNextLogit})`);
  // 1 / (1 + e^d): e^d overflows to Infinity for large d, giving 0, the right limit.
  return 1 / (1 + Math.exp(difference));
}

/** Throws a clear error when the model has no NSP head (e.g. a BertForMaskedLM checkpoint). */
export function assertHasNspHead(model: BertModel): void {
  if (!model.hasOutput('nsp_logits')) {
    throw new Error(
      `The model in ${model.folder.dir} has no next-sentence head (cls.seq_relationship.*), so NSP and coherence are off for it`,
    );
  }
}
