/**
 * Fill-mask beyond top-k: scores for given candidate words (`targets`) at every `[MASK]`,
 * filling several masks left to right, and texts longer than a window (each mask is predicted
 * in a window of `window` tokens around it, so a `[MASK]` past token 512 still works).
 *
 *   const r = await fillMaskExtended(model, 'I [MASK] you [MASK].', { targets: ['love', 'adore'], leftToRight: true });
 *   // r.masks[0].targets = [{ target: 'love', score: 0.31, pieces: ['love'] }, { target: 'adore', score: 0.002, pieces: ['ad', '##ore'] }]
 *   // r.masks[0].fill = { token: 'love', ... }; r.filledText = 'I love you all.'
 *
 * Choices:
 * - A target of one piece scores its entry of the full softmax at the mask (exactly what
 *   `fillMask` would give it). A target of several pieces (after the model's tokenizer, so
 *   lowercased for an uncased model) replaces the mask with as many `[MASK]`s and scores the
 *   product of its pieces filled left to right (piece 1 with all masked, piece 2 with piece 1
 *   written in, …): a probability of the whole word, comparable across targets, unlike the
 *   first-piece score of Hugging Face's pipeline (transformers.js has no targets at all).
 * - `leftToRight`: mask 1 is predicted with every mask in place, its best fill (the top token
 *   that is not a reserved `[…]` token) is written in, then mask 2 is predicted, and so on
 *   (sequential argmax); each mask's predictions and targets are conditioned on the fills
 *   before it. Without it, every mask is predicted independently with the others masked.
 * - A text of more than `window` tokens (default 128) is read in a window around each mask,
 *   cut at word boundaries; shorter texts are read whole, as by `fillMask`.
 */
import { checkedTopK, logSumExpOf, tokenKinds, topKIndices, topPredictions, TokenKind } from './probabilities';
import type { BertModel } from './session';
import type { MaskPredictions, TokenPrediction } from './types';
import {
  DEFAULT_WINDOW_TOKENS,
  MaskedJob,
  TokenSpan,
  buildWindowInput,
  checkedBatchSize,
  checkedWindow,
  encodeDocument,
  maskedLmMaskId,
  runMaskedJobs,
  windowAround,
} from './window';
import { DEFAULT_TOP_K } from './fill-mask';

export interface FillMaskExtendedOptions {
  /** Predictions per mask, default 5. */
  topK?: number;
  /** Candidate words to score at every mask. */
  targets?: readonly string[];
  /** Fill the masks left to right, each conditioned on the fills before it. Default false. */
  leftToRight?: boolean;
  /** Window in tokens (`[CLS]`/`[SEP]` included) for texts longer than it; default 128. */
  window?: number;
  /** Inputs per model run, default 16. */
  batchSize?: number;
}

export interface TargetScore {
  /** The target as given. */
  target: string;
  /** Its probability at the mask (product over its pieces, left to right). */
  score: number;
  /** Its word pieces. */
  pieces: string[];
}

export interface ExtendedMaskPredictions extends MaskPredictions {
  /** One entry per target, in the order given (present when targets were given). */
  targets?: TargetScore[];
  /** With `leftToRight`: the token written into this mask. */
  fill?: TokenPrediction;
}

export interface FillMaskExtendedResult {
  masks: ExtendedMaskPredictions[];
  /** With `leftToRight`: the text with every `[MASK]` replaced by its fill (`##` dropped). */
  filledText?: string;
  /** True when the text was longer than the window and read in windows. */
  windowed: boolean;
  latencyMs: number;
}

const DEFAULT_BATCH_SIZE = 16;

export async function fillMaskExtended(
  model: BertModel,
  text: string,
  options: FillMaskExtendedOptions = {},
): Promise<FillMaskExtendedResult> {
  const started = performance.now();
  const tokenizer = model.tokenizer;
  const maskId = maskedLmMaskId(model);
  const maskToken = tokenizer.specialTokens.mask;
  const topK = checkedTopK(options.topK ?? DEFAULT_TOP_K, tokenizer.vocabSize);
  const window = checkedWindow(options.window ?? DEFAULT_WINDOW_TOKENS, tokenizer.maxLength);
  const batchSize = checkedBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  if (text.trim() === '') throw new Error('The text is empty');
  const kinds = tokenKinds(tokenizer);

  const targets = options.targets ?? [];
  const targetIds = await targetPieces(model, targets);
  const doc = await encodeDocument(tokenizer, text);
  const maskTokens = doc.ids.flatMap((id, t) => (id === maskId ? [t] : []));
  if (maskTokens.length === 0) {
    const other = new RegExp(maskToken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i').exec(text);
    const hint = other ? ` (found "${other[0]}": the mask token is case-sensitive, write ${maskToken})` : '';
    throw new Error(`No ${maskToken} found in the text${hint}`);
  }
  const growth = Math.max(0, ...targetIds.map((ids) => ids.length - 1));
  const windowed = doc.ids.length + 2 + growth > window;
  const spanOf = (t: number): TokenSpan => (windowed ? windowAround(doc, t, t + 1, window, undefined, growth) : [0, doc.ids.length]);

  const masks: ExtendedMaskPredictions[] = maskTokens.map((t) => ({ range: doc.offsets[t], predictions: [] }));
  /** Predicts masks `which` (indices into maskTokens) on `baseIds`. */
  const predict = async (which: number[], baseIds: readonly number[]) => {
    const jobs: MaskedJob[] = [];
    const jobMeaning: Array<Array<{ mask: number; target?: number; step?: number }>> = [];
    if (!windowed) {
      const { input } = buildWindowInput(tokenizer, doc, [0, doc.ids.length], [], baseIds);
      jobs.push({ input, positions: which.map((m) => maskTokens[m] + 1) });
      jobMeaning.push(which.map((mask) => ({ mask })));
    } else {
      for (const m of which) {
        const span = spanOf(maskTokens[m]);
        const { input } = buildWindowInput(tokenizer, doc, span, [], baseIds);
        jobs.push({ input, positions: [maskTokens[m] - span[0] + 1] });
        jobMeaning.push([{ mask: m }]);
      }
    }
    for (const m of which) {
      const t = maskTokens[m];
      const span = spanOf(t);
      targetIds.forEach((ids, target) => {
        if (ids.length < 2) return;
        for (let step = 0; step < ids.length; step++) {
          const pieces = [...ids.slice(0, step), ...new Array(ids.length - step).fill(maskId)];
          const built = buildWindowInput(tokenizer, doc, span, [{ start: t, end: t + 1, ids: pieces }], baseIds);
          jobs.push({ input: built.input, positions: [built.slotStarts[0] + step] });
          jobMeaning.push([{ mask: m, target, step }]);
        }
      });
    }
    const logScores = new Map<string, number>();
    const fills = new Map<number, TokenPrediction>();
    await runMaskedJobs(model, jobs, batchSize, (job, j, row) => {
      const { mask, target, step } = jobMeaning[job][j];
      const logSumExp = logSumExpOf(row);
      if (target === undefined) {
        masks[mask].predictions = topPredictions(row, topK, (id) => tokenizer.idToToken(id));
        const [best] = topKIndices(row, 1, (id) => kinds[id] !== TokenKind.Reserved);
        fills.set(mask, { token: tokenizer.idToToken(best), id: best, score: Math.exp(row[best] - logSumExp) });
        if (targets.length > 0) {
          masks[mask].targets = targetIds.map((ids, i) => ({
            target: targets[i],
            score: ids.length === 1 ? Math.exp(row[ids[0]] - logSumExp) : 0,
            pieces: ids.map((id) => tokenizer.idToToken(id)),
          }));
        }
      } else {
        const key = `${mask} ${target}`;
        logScores.set(key, (logScores.get(key) ?? 0) + row[targetIds[target][step!]] - logSumExp);
      }
    });
    for (const m of which) {
      masks[m].targets?.forEach((score, target) => {
        const log = logScores.get(`${m} ${target}`);
        if (log !== undefined) score.score = Math.exp(log);
      });
    }
    return fills;
  };

  let filledText: string | undefined;
  if (options.leftToRight) {
    const ids = doc.ids.slice();
    for (let m = 0; m < maskTokens.length; m++) {
      const fills = await predict([m], ids);
      const fill = fills.get(m)!;
      ids[maskTokens[m]] = fill.id;
      masks[m].fill = fill;
    }
    filledText = '';
    let at = 0;
    masks.forEach((mask) => {
      filledText += text.slice(at, mask.range[0]) + mask.fill!.token.replace(/^##/, '');
      at = mask.range[1];
    });
    filledText += text.slice(at);
  } else {
    await predict(
      maskTokens.map((_, m) => m),
      doc.ids,
    );
  }
  return { masks, ...(filledText !== undefined ? { filledText } : {}), windowed, latencyMs: performance.now() - started };
}

/** The word pieces of each target; throws on an empty target or one holding a reserved token. */
async function targetPieces(model: BertModel, targets: readonly string[]): Promise<number[][]> {
  if (targets.length === 0) return [];
  const kinds = tokenKinds(model.tokenizer);
  const encoded = await model.tokenizer.encodeBatch(targets.map((t) => t.trim()));
  return encoded.map((input, i) => {
    const ids = input.ids.filter((_, t) => input.sequenceIds[t] === 0);
    if (ids.length === 0) throw new Error(`Target ${i + 1} ("${targets[i]}") is empty`);
    const reserved = ids.find((id) => kinds[id] === TokenKind.Reserved && id !== model.tokenizer.specialIds.unk);
    if (reserved !== undefined) throw new Error(`Target ${i + 1} ("${targets[i]}") holds the special token ${model.tokenizer.idToToken(reserved)}`);
    return ids;
  });
}
