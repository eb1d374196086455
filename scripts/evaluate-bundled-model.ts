/**
 * Evaluates compiled model folders through the engine (tokenizer + ONNX session, exactly as the
 * extension runs them): single-word fill-mask top-1 / top-5 and next-sentence prediction on
 * held-out corpus documents and on WikiText-2 valid, plus how often two graphs agree (the int8
 * bundled graph against the float32 reference). Everything is drawn from a seeded generator,
 * so a rerun on the same files gives the same figures.
 *
 *   node scripts/run-ts.mjs scripts/evaluate-bundled-model.ts --model models/bert-lens-small \
 *     --reference out/bundled-model/fp32 --heldout training/data/corpus/heldout.txt \
 *     --wikitext ../shared/data/wikitext-2/valid.txt [--positions 2000] [--pairs 1000] [--seed 1] [--out FILE]
 *
 * Fill-mask: contexts of consecutive sentences of one document (≤ 80 words); in each, one word
 * chosen at random among the words that are a single vocabulary token is replaced by [MASK];
 * a hit is the lower-cased word among the top-1 / top-5 predictions. WikiText's `<unk>` becomes
 * [UNK] and is never a target. NSP: pairs (sentence i, sentence i+1 of the same document) and
 * (sentence i, a random sentence of another document), half each; accuracy at P(IsNext) = 0.5,
 * and the AUC (how often a real pair scores above a random one).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fillMaskSettled, loadModel, nextSentenceProbabilities, type BertModel, type SentencePair } from '../src/engine';

const MAX_CONTEXT_WORDS = 80;
const WORD = /(?<![\p{L}\p{N}'’\-[])[A-Za-z]+(?![\p{L}\p{N}'’\-\]])/gu;

type Document = string[];
interface MaskedExample {
  text: string;
  target: string;
}
interface MlmScore {
  positions: number;
  top1: number;
  top5: number;
  /** Top-1 prediction per example (for agreement between graphs); '' when skipped. */
  predictions: string[];
}

/** mulberry32: a small seeded generator, [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** training/data/corpus/heldout.txt: one sentence per line, a blank line between documents. */
function readCorpusDocuments(path: string): Document[] {
  return readFileSync(path, 'utf8')
    .split(/\n\s*\n/)
    .map((block) => block.split('\n').map((s) => s.trim()).filter((s) => s !== ''))
    .filter((doc) => doc.length > 0);
}

/** WikiText-2 raw: articles under "= Title =" headings, one paragraph per line, tokens spaced. */
function readWikiTextDocuments(path: string): Document[] {
  const docs: Document[] = [];
  let current: Document = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (/^= [^=].* =$/.test(line)) {
      if (current.length > 0) docs.push(current);
      current = [];
      continue;
    }
    if (line.startsWith('= ')) continue; // section headings
    const text = line
      .replace(/ @-@ /g, '-')
      .replace(/ @,@ /g, ',')
      .replace(/ @\.@ /g, '.')
      .replace(/<unk>/g, '[UNK]')
      .replace(/ ([.,;:!?)\]'])/g, '$1')
      .replace(/\( /g, '(');
    current.push(...text.split(/(?<=[.!?])\s+(?=["(]?[A-Z])/));
  }
  if (current.length > 0) docs.push(current);
  return docs;
}

/** Runs of consecutive sentences of one document, each at most MAX_CONTEXT_WORDS words. */
function contexts(docs: Document[]): string[] {
  const out: string[] = [];
  for (const doc of docs) {
    let chunk: string[] = [];
    let words = 0;
    for (const sentence of doc) {
      const n = sentence.split(/\s+/).length;
      if (chunk.length > 0 && words + n > MAX_CONTEXT_WORDS) {
        out.push(chunk.join(' '));
        chunk = [];
        words = 0;
      }
      if (n <= MAX_CONTEXT_WORDS) {
        chunk.push(sentence);
        words += n;
      }
    }
    if (chunk.length > 0) out.push(chunk.join(' '));
  }
  return out;
}

function maskedExamples(model: BertModel, texts: string[], count: number, next: () => number): MaskedExample[] {
  const order = texts.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const examples: MaskedExample[] = [];
  for (const index of order) {
    if (examples.length >= count) break;
    const text = texts[index];
    const words = [...text.matchAll(WORD)].filter((m) => model.tokenizer.tokenToId(m[0].toLowerCase()) !== undefined);
    if (words.length === 0) continue;
    const word = words[Math.floor(next() * words.length)];
    const at = word.index!;
    examples.push({ text: `${text.slice(0, at)}[MASK]${text.slice(at + word[0].length)}`, target: word[0].toLowerCase() });
  }
  return examples;
}

async function scoreMlm(model: BertModel, examples: MaskedExample[]): Promise<MlmScore> {
  const outcomes = await fillMaskSettled(model, examples.map((e) => e.text), { topK: 5, batchSize: 8 });
  const score: MlmScore = { positions: 0, top1: 0, top5: 0, predictions: [] };
  outcomes.forEach((outcome, i) => {
    if (!outcome.ok) {
      score.predictions.push(''); // the mask fell beyond the 128-token limit
      return;
    }
    const tokens = outcome.result.masks[0].predictions.map((p) => p.token);
    score.positions++;
    if (tokens[0] === examples[i].target) score.top1++;
    if (tokens.includes(examples[i].target)) score.top5++;
    score.predictions.push(tokens[0]);
  });
  return score;
}

function nspPairs(docs: Document[], count: number, next: () => number): { pairs: SentencePair[]; isNext: boolean[] } {
  const withPairs = docs.map((d, i) => i).filter((i) => docs[i].length >= 2);
  const pairs: SentencePair[] = [];
  const isNext: boolean[] = [];
  for (let k = 0; k < count; k++) {
    const d = withPairs[Math.floor(next() * withPairs.length)];
    const doc = docs[d];
    const i = Math.floor(next() * (doc.length - 1));
    if (k % 2 === 0) {
      pairs.push([doc[i], doc[i + 1]]);
      isNext.push(true);
    } else {
      let other = d;
      while (other === d) other = Math.floor(next() * docs.length);
      const sentences = docs[other];
      pairs.push([doc[i], sentences[Math.floor(next() * sentences.length)]]);
      isNext.push(false);
    }
  }
  return { pairs, isNext };
}

/** Probability that a real pair scores above a random one (ties count half). */
function auc(scores: number[], positive: boolean[]): number {
  const pos = scores.filter((_, i) => positive[i]);
  const neg = scores.filter((_, i) => !positive[i]);
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

async function evaluateSet(name: string, docs: Document[], models: Record<string, BertModel>, options: { positions: number; pairs: number; seed: number }) {
  const first = Object.values(models)[0];
  const examples = maskedExamples(first, contexts(docs), options.positions, random(options.seed));
  const { pairs, isNext } = nspPairs(docs, options.pairs, random(options.seed + 1));
  const result: Record<string, unknown> = { documents: docs.length, maskedWords: examples.length, nspPairs: pairs.length };
  const mlm: Record<string, MlmScore> = {};
  const nsp: Record<string, number[]> = {};
  for (const [graph, model] of Object.entries(models)) {
    const started = performance.now();
    mlm[graph] = await scoreMlm(model, examples);
    nsp[graph] = (await nextSentenceProbabilities(model, pairs)).map((r) => r.isNext);
    const m = mlm[graph];
    const correct = nsp[graph].filter((p, i) => p >= 0.5 === isNext[i]).length;
    result[graph] = {
      mlmTop1: m.top1 / m.positions,
      mlmTop5: m.top5 / m.positions,
      mlmPositions: m.positions,
      nspAccuracy: correct / pairs.length,
      nspAuc: auc(nsp[graph], isNext),
      nspMeanIsNextReal: mean(nsp[graph].filter((_, i) => isNext[i])),
      nspMeanIsNextRandom: mean(nsp[graph].filter((_, i) => !isNext[i])),
      seconds: (performance.now() - started) / 1000,
    };
    process.stderr.write(`${name} ${graph}: ${JSON.stringify(result[graph])}\n`);
  }
  const graphs = Object.keys(models);
  if (graphs.length === 2) {
    const [a, b] = graphs;
    const both = mlm[a].predictions.map((p, i) => [p, mlm[b].predictions[i]]).filter(([p, q]) => p !== '' && q !== '');
    result.agreement = {
      graphs: `${a} vs ${b}`,
      mlmTop1Same: both.filter(([p, q]) => p === q).length / both.length,
      nspDecisionSame: nsp[a].filter((p, i) => p >= 0.5 === nsp[b][i] >= 0.5).length / pairs.length,
      nspMaxAbsDiff: Math.max(...nsp[a].map((p, i) => Math.abs(p - nsp[b][i]))),
    };
  }
  return result;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      reference: { type: 'string' },
      heldout: { type: 'string' },
      wikitext: { type: 'string' },
      positions: { type: 'string', default: '2000' },
      pairs: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
    },
  });
  if (!values.model) throw new Error('--model DIR is required');
  const options = { positions: Number(values.positions), pairs: Number(values.pairs), seed: Number(values.seed) };
  const models: Record<string, BertModel> = { bundled: await loadModel(values.model, { executionProvider: 'cpu' }) };
  if (values.reference) models.reference = await loadModel(values.reference, { executionProvider: 'cpu' });
  const report: Record<string, unknown> = { method: 'scripts/evaluate-bundled-model.ts', ...options, maxTokens: models.bundled.tokenizer.maxLength };
  if (values.heldout) report.heldout = await evaluateSet('heldout', readCorpusDocuments(values.heldout), models, options);
  if (values.wikitext) report.wikitext2Valid = await evaluateSet('wikitext2', readWikiTextDocuments(values.wikitext), models, options);
  const text = `${JSON.stringify(report, null, 1)}\n`;
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  for (const model of Object.values(models)) await model.dispose();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
