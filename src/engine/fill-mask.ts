/**
 * The fill-mask task: for every `[MASK]` in a text, the model's top-k vocabulary tokens with
 * their probabilities (softmax over the whole vocabulary), computing MLM logits only at the
 * masked positions.
 *
 * Example:
 *   const model = await loadModel('models/bert-lens-mini');
 *   const { masks } = await fillMask(model, 'The capital of France is [MASK].', { topK: 3 });
 *   // masks[0] = { range: [25, 31], predictions: [{ token: 'paris', id: 3000, score: 0.41 }, ...] }
 */
import type { BertModel } from './session';
import { checkedTopK, logitRows, topPredictions } from './probabilities';
import type { EncodedInput, FillMaskResult, MaskPredictions } from './types';

// The softmax / top-k helpers moved to probabilities.ts (shared with replacements and surprisal).
export { checkedTopK, logSumExpOf, topKIndices, topPredictions } from './probabilities';

export interface FillMaskOptions {
  /** Predictions per mask, default 5; at most the vocabulary size. */
  topK?: number;
}

export interface FillMaskBatchOptions extends FillMaskOptions {
  /** Texts per model run, default 8. Texts of similar length are grouped to limit padding. */
  batchSize?: number;
}

export const DEFAULT_TOP_K = 5;
const DEFAULT_BATCH_SIZE = 8;

/** Predicts every `[MASK]` in `text`, in textual order. */
export async function fillMask(model: BertModel, text: string, options: FillMaskOptions = {}): Promise<FillMaskResult> {
  const [result] = await fillMaskBatch(model, [text], { ...options, batchSize: 1 });
  return result;
}

/**
 * `fillMask` for many texts, batched (padded to the longest text of each batch). Results are in
 * input order; each result's `latencyMs` is the wall time of the batch it ran in. Throws on the
 * first invalid text, naming its index ("Input 3: No [MASK] found in the text").
 */
export async function fillMaskBatch(
  model: BertModel,
  texts: readonly string[],
  options: FillMaskBatchOptions = {},
): Promise<FillMaskResult[]> {
  const outcomes = await fillMaskSettled(model, texts, options);
  return outcomes.map((outcome, i) => {
    if (!outcome.ok) throw texts.length > 1 ? new Error(`Input ${i + 1}: ${outcome.error.message}`) : outcome.error;
    return outcome.result;
  });
}

export type FillMaskOutcome = { ok: true; result: FillMaskResult } | { ok: false; error: Error };

/**
 * Like `fillMaskBatch`, but an invalid text (empty, no `[MASK]`, a `[MASK]` cut off) gives
 * `{ ok: false, error }` in its place instead of failing the whole batch (for JSONL input).
 * Invalid options and model failures still throw.
 */
export async function fillMaskSettled(
  model: BertModel,
  texts: readonly string[],
  options: FillMaskBatchOptions = {},
): Promise<FillMaskOutcome[]> {
  const topK = checkedTopK(options.topK ?? DEFAULT_TOP_K, model.tokenizer.vocabSize);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!model.hasOutput('mlm_logits')) {
    throw new Error(`The model in ${model.folder.dir} has no masked-LM head (cls.predictions.*), so fill-mask is off for it`);
  }
  const maskId = model.tokenizer.specialIds.mask;
  const maskToken = model.tokenizer.specialTokens.mask;
  if (maskId === undefined) throw new Error(`The vocabulary of ${model.folder.dir} has no ${maskToken} token`);

  const started = performance.now();
  const encoded = await model.tokenizer.encodeBatch(texts);
  const outcomes: FillMaskOutcome[] = new Array(texts.length);
  const maskPositions: number[][] = [];
  const valid: number[] = [];
  texts.forEach((text, i) => {
    try {
      if (text.trim() === '') throw new Error('The text is empty');
      maskPositions[i] = findMaskPositions(encoded[i], text, maskId, maskToken, model.tokenizer.maxLength);
      valid.push(i);
    } catch (error) {
      outcomes[i] = { ok: false, error: error as Error };
    }
  });
  const tokenizeMs = performance.now() - started;

  // Group texts of similar length so a batch pads little; results stay in input order.
  valid.sort((a, b) => encoded[a].ids.length - encoded[b].ids.length);
  for (let first = 0; first < valid.length; first += batchSize) {
    const chunk = valid.slice(first, first + batchSize);
    const chunkStarted = performance.now();
    const { outputs, numPositions } = await model.run(
      chunk.map((i) => encoded[i]),
      { outputs: ['mlm_logits'], mlmPositions: chunk.map((i) => maskPositions[i]) },
    );
    const rowOf = logitRows(outputs.mlm_logits, numPositions, model.tokenizer.vocabSize);
    const masksOf = (textIndex: number, b: number): MaskPredictions[] =>
      maskPositions[textIndex].map((position, j) => ({
        range: encoded[textIndex].offsets[position],
        predictions: topPredictions(rowOf(b, j), topK, (id) => model.tokenizer.idToToken(id)),
      }));
    const chunkMasks = chunk.map(masksOf);
    const latencyMs = tokenizeMs + performance.now() - chunkStarted;
    chunk.forEach((textIndex, b) => {
      outcomes[textIndex] = {
        ok: true,
        result: { masks: chunkMasks[b], latencyMs, truncated: encoded[textIndex].truncated },
      };
    });
  }
  return outcomes;
}

/**
 * Token positions of the mask tokens in `input`. Throws when the text has none, or when a mask
 * of the text fell beyond the truncation limit.
 */
export function findMaskPositions(
  input: EncodedInput,
  text: string,
  maskId: number,
  maskToken: string,
  maxLength: number,
): number[] {
  const positions: number[] = [];
  input.ids.forEach((id, i) => {
    if (id === maskId && input.sequenceIds[i] === 0) positions.push(i);
  });
  const textual = occurrences(text, maskToken);
  if (textual.length === 0) {
    const other = new RegExp(maskToken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i').exec(text);
    const hint = other ? ` (found "${other[0]}": the mask token is case-sensitive, write ${maskToken})` : '';
    throw new Error(`No ${maskToken} found in the text${hint}`);
  }
  if (positions.length < textual.length) {
    const lost = textual[positions.length];
    throw new Error(
      `The ${maskToken} at character ${lost} (mask ${positions.length + 1} of ${textual.length}) is beyond ` +
        `the model's limit of ${maxLength} tokens; shorten the text before it`,
    );
  }
  return positions;
}

function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) found.push(at);
  return found;
}
