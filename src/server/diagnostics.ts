/**
 * Opt-in diagnostics (`bertLens.diagnostics.enabled`): words the model finds very unlikely
 * (code `unlikely-word`, with alternatives in `data` for the quick fixes) and weak transitions
 * between consecutive sentences of a paragraph (code `weak-transition`, next-sentence
 * prediction). Words in `bertLens.diagnostics.ignoredWords` are never reported. Scans are debounced after edits, run sentence chunk by sentence chunk in the
 * background lane of the queue (hovers go first), stop as soon as the document changes, and
 * reuse per-sentence results (surprisal's sentence cache, plus caches of alternatives and
 * sentence-pair scores here), so an edit re-scores only the sentences it touched. In code files
 * covered through `bertLens.comments.enabled` only the comment text is scanned (context.ts).
 */
import { DiagnosticSeverity, type Diagnostic, type Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { nextSentenceProbabilities, splitSentences, type BertModel, type Sentence } from '../engine';
import { suggestForSlots, type ReplacementCandidate } from '../engine/replacements';
import { scanDocument, type WordScore } from '../engine/surprisal';
import { encodeDocument } from '../engine/window';
import type { BertLensSettings, DiagnosticSeverityName, UnlikelyWordData } from '../protocol';
import { formatPercent } from '../protocol/format';
import type { ServerContext } from './context';
import type { JobOptions } from './queue';
import { DEFAULT_MAX_FILE_SIZE } from './settings';

export const DIAGNOSTIC_SOURCE = 'BERT Lens';
export const UNLIKELY_WORD = 'unlikely-word';
export const WEAK_TRANSITION = 'weak-transition';
export const FILE_TOO_LARGE = 'file-too-large';

/** Characters of sentences scanned per queue job: small enough that a hover never waits long. */
const CHUNK_CHARS = 1500;
/** Sentence pairs per NSP job. */
const PAIRS_PER_JOB = 16;
/** Alternatives shown per unlikely word. */
const ALTERNATIVES = 3;
const CACHE_LIMIT = 20_000;

const SEVERITY: Record<DiagnosticSeverityName, DiagnosticSeverity> = {
  hint: DiagnosticSeverity.Hint,
  information: DiagnosticSeverity.Information,
  warning: DiagnosticSeverity.Warning,
  error: DiagnosticSeverity.Error,
};

export interface ScanFigures {
  uri: string;
  version: number;
  words: number;
  sentences: number;
  ms: number;
}

export class DiagnosticsScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly generation = new Map<string, number>();
  private readonly published = new Set<string>();
  private readonly alternatives = new BoundedMap<string, ReplacementCandidate[]>(CACHE_LIMIT);
  private readonly pairScores = new BoundedMap<string, number>(CACHE_LIMIT);
  /** The last finished scan (for logs and tests). */
  lastScan: ScanFigures | undefined;

  constructor(private readonly ctx: ServerContext) {}

  /** Scans `document` after the debounce delay (`immediately`: on the next tick, e.g. on open). */
  schedule(document: TextDocument, immediately = false): void {
    const uri = document.uri;
    const generation = (this.generation.get(uri) ?? 0) + 1;
    this.generation.set(uri, generation);
    clearTimeout(this.timers.get(uri));
    void this.ctx.settings.forDocument(uri).then((settings) => {
      if (this.generation.get(uri) !== generation) return;
      const delay = immediately ? 0 : settings.diagnostics.debounceMs;
      this.timers.set(
        uri,
        setTimeout(() => {
          this.timers.delete(uri);
          this.run(uri, document.version, generation, settings).catch((error) => this.ctx.log(`Diagnostics of ${uri} failed: ${(error as Error).message}`));
        }, delay),
      );
    });
  }

  /** Forgets a closed document and clears its diagnostics. */
  close(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.generation.set(uri, (this.generation.get(uri) ?? 0) + 1);
    if (this.published.delete(uri)) void this.ctx.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  private async run(uri: string, version: number, generation: number, settings: BertLensSettings): Promise<void> {
    const document = this.ctx.documents.get(uri);
    const outdated = () => this.generation.get(uri) !== generation || this.ctx.isOutdated(uri, version);
    if (!document || outdated()) return;
    const options = settings.diagnostics;
    if (!options.enabled || !this.ctx.covers(document, settings)) {
      if (this.published.delete(uri)) await this.ctx.connection.sendDiagnostics({ uri, diagnostics: [] });
      return;
    }
    const text = this.ctx.textOf(document, settings);
    const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    if (text.length > maxFileSize) {
      this.ctx.log(`Diagnostics skipped for ${uri}: ${text.length} characters is above bertLens.diagnostics.maxFileSize (${maxFileSize})`);
      return this.publish(document, version, [tooLarge(text.length, maxFileSize)]);
    }
    const started = performance.now();
    const job: JobOptions = { label: 'diagnostics', priority: 'background', isStale: outdated };
    let findings: Finding[];
    let words = 0;
    let sentenceCount = 0;
    try {
      const { sentences } = splitSentences(text, { format: document.languageId === 'markdown' ? 'markdown' : 'plain' });
      sentenceCount = sentences.length;
      const scores = await this.scanWords(text, sentences, job);
      words = scores.length;
      const ignored = new Set((options.ignoredWords ?? []).map((w) => w.toLocaleLowerCase()));
      const unlikely = scores
        .filter((s) => s.score.probability < options.unlikelyWordThreshold && !s.score.punctuation && !ignored.has(s.score.text.toLocaleLowerCase()))
        .sort((a, b) => a.score.probability - b.score.probability)
        .slice(0, options.maxPerFile);
      const weak = options.maxPerFile === 0 ? [] : await this.weakTransitions(sentences, options.weakTransitionThreshold, job);
      const alternatives = await this.alternativesFor(text, unlikely, job);
      findings = [
        ...unlikely.map((u, i): Finding => ({ probability: u.score.probability, diagnostic: unlikelyDiagnostic(document, u.score, alternatives[i], SEVERITY[options.unlikelyWordSeverity ?? options.severity ?? 'information']) })),
        ...weak.map((w): Finding => ({ probability: w.isNext, diagnostic: weakDiagnostic(document, w.sentence, w.isNext, SEVERITY[options.weakTransitionSeverity ?? options.severity ?? 'hint']) })),
      ];
    } catch (error) {
      if (outdated()) return; // a newer scan is on its way
      throw error;
    }
    if (outdated()) return;
    // The cap keeps the most severe, then the least likely; the editor gets them in textual order.
    const kept = findings
      .sort((a, b) => (a.diagnostic.severity ?? 4) - (b.diagnostic.severity ?? 4) || a.probability - b.probability)
      .slice(0, options.maxPerFile)
      .map((f) => f.diagnostic)
      .sort((a, b) => document.offsetAt(a.range.start) - document.offsetAt(b.range.start));
    this.lastScan = { uri, version, words, sentences: sentenceCount, ms: performance.now() - started };
    await this.publish(document, version, kept);
  }

  private async publish(document: TextDocument, version: number, diagnostics: Diagnostic[]): Promise<void> {
    if (diagnostics.length > 0) this.published.add(document.uri);
    else this.published.delete(document.uri);
    await this.ctx.connection.sendDiagnostics({ uri: document.uri, version, diagnostics });
  }

  /** Every word's probability, scanned a chunk of sentences per queue job (each sentence on its own). */
  private async scanWords(text: string, sentences: Sentence[], job: JobOptions): Promise<Array<{ score: WordScore; sentence: Sentence }>> {
    const results: Array<{ score: WordScore; sentence: Sentence }> = [];
    for (const chunk of chunksOf(sentences, CHUNK_CHARS)) {
      const start = chunk[0].range[0];
      const end = chunk[chunk.length - 1].range[1];
      const scan = await this.ctx.queue.run(job, (model) =>
        scanDocument(model, text.slice(start, end), { sentences: chunk.map((s) => [s.range[0] - start, s.range[1] - start] as const) }),
      );
      let s = 0;
      for (const word of scan.words) {
        const range: [number, number] = [word.range[0] + start, word.range[1] + start];
        while (s < chunk.length - 1 && range[0] >= chunk[s].range[1]) s++;
        results.push({ score: { ...word, range }, sentence: chunk[s] });
      }
    }
    return results;
  }

  /** Consecutive sentences of one paragraph whose P(IsNext) is below `threshold`. */
  private async weakTransitions(sentences: Sentence[], threshold: number, job: JobOptions): Promise<Array<{ sentence: Sentence; isNext: number }>> {
    const model = await this.ctx.model();
    if (!model.hasOutput('nsp_logits') || threshold <= 0) return [];
    const pairs: Array<[Sentence, Sentence]> = [];
    for (let i = 1; i < sentences.length; i++) {
      if (sentences[i].paragraph === sentences[i - 1].paragraph) pairs.push([sentences[i - 1], sentences[i]]);
    }
    const keyOf = ([a, b]: [Sentence, Sentence]) => `${a.text}\u0000${b.text}`;
    const missing = pairs.filter((pair) => !this.pairScores.has(keyOf(pair)));
    for (let first = 0; first < missing.length; first += PAIRS_PER_JOB) {
      const slice = missing.slice(first, first + PAIRS_PER_JOB);
      const results = await this.ctx.queue.run(job, (m) => nextSentenceProbabilities(m, slice.map(([a, b]) => [a.text, b.text] as const)));
      slice.forEach((pair, i) => this.pairScores.set(keyOf(pair), results[i].isNext));
    }
    return pairs
      .map((pair) => ({ sentence: pair[1], isNext: this.pairScores.get(keyOf(pair))! }))
      .filter((p) => p.isNext < threshold);
  }

  /** Alternatives for each word, in its sentence's context, from the cache or one batched run per sentence. */
  private async alternativesFor(text: string, words: Array<{ score: WordScore; sentence: Sentence }>, job: JobOptions): Promise<ReplacementCandidate[][]> {
    const keyOf = ({ score, sentence }: { score: WordScore; sentence: Sentence }) =>
      `${text.slice(sentence.range[0], sentence.range[1])}\u0000${score.range[0] - sentence.range[0]}`;
    const bySentence = new Map<Sentence, Array<{ score: WordScore; sentence: Sentence }>>();
    for (const word of words) {
      if (this.alternatives.has(keyOf(word))) continue;
      const list = bySentence.get(word.sentence) ?? [];
      list.push(word);
      bySentence.set(word.sentence, list);
    }
    // One batched run for the words of up to CHUNK_CHARS of consecutive sentences, each word in its own sentence's context.
    const groups = chunksOf([...bySentence.keys()].sort((a, b) => a.range[0] - b.range[0]), CHUNK_CHARS);
    for (const group of groups) {
      const start = group[0].range[0];
      const end = group[group.length - 1].range[1];
      const members = group.flatMap((sentence) => bySentence.get(sentence)!);
      const suggestions = await this.ctx.queue.run(job, (model) =>
        suggestInSentences(
          model,
          text.slice(start, end),
          group.map((s) => [s.range[0] - start, s.range[1] - start]),
          members.map((w) => ({ sentence: group.indexOf(w.sentence), range: [w.score.range[0] - start, w.score.range[1] - start] })),
        ),
      );
      members.forEach((word, i) => this.alternatives.set(keyOf(word), suggestions[i]));
    }
    return words.map((word) => this.alternatives.get(keyOf(word)) ?? []);
  }
}

interface Finding {
  probability: number;
  diagnostic: Diagnostic;
}

/** Alternatives for words of `text` (`range` inside sentence `sentence`), each scored within its own sentence. */
async function suggestInSentences(
  model: BertModel,
  text: string,
  sentences: Array<[number, number]>,
  words: Array<{ sentence: number; range: [number, number] }>,
): Promise<ReplacementCandidate[][]> {
  const doc = await encodeDocument(model.tokenizer, text);
  const spans = sentences.map(([start, end]): [number, number] => {
    let first = 0;
    while (first < doc.ids.length && doc.offsets[first][0] < start) first++;
    let last = first;
    while (last < doc.ids.length && doc.offsets[last][0] < end) last++;
    return [first, last];
  });
  const slots = words.map(({ sentence, range: [start, end] }) => {
    const [lo, hi] = spans[sentence];
    const inside = doc.words.filter((w) => w.first >= lo && w.end <= hi && w.range[0] < end && w.range[1] > start);
    return inside.length === 0 ? undefined : { first: inside[0].first, end: inside[inside.length - 1].end, bounds: spans[sentence] };
  });
  const valid = slots.filter((s): s is NonNullable<typeof s> => s !== undefined);
  const results = valid.length === 0 ? [] : await suggestForSlots(model, doc, valid, { topK: ALTERNATIVES });
  let next = 0;
  return slots.map((slot) => (slot ? results[next++].candidates : []));
}

/** Consecutive sentences grouped into chunks of about `chars` characters. */
function chunksOf(sentences: Sentence[], chars: number): Sentence[][] {
  const chunks: Sentence[][] = [];
  let current: Sentence[] = [];
  for (const sentence of sentences) {
    if (current.length > 0 && sentence.range[1] - current[0].range[0] > chars) {
      chunks.push(current);
      current = [];
    }
    current.push(sentence);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function rangeOf(document: TextDocument, start: number, end: number): Range {
  return { start: document.positionAt(start), end: document.positionAt(end) };
}

function unlikelyDiagnostic(document: TextDocument, score: WordScore, alternatives: ReplacementCandidate[], severity: DiagnosticSeverity): Diagnostic {
  const rank = score.rank === undefined ? '' : `, rank ${score.rank.toLocaleString('en')}`;
  const expected = alternatives.length === 0 ? '' : `; the model expects ${alternatives.map((a) => `"${a.text}" (${formatPercent(a.probability)})`).join(', ')}`;
  const data: UnlikelyWordData = { kind: 'unlikely-word', word: score.text, probability: score.probability, alternatives };
  return {
    range: rangeOf(document, score.range[0], score.range[1]),
    severity,
    source: DIAGNOSTIC_SOURCE,
    code: UNLIKELY_WORD,
    message: `"${score.text}" is unlikely here (${formatPercent(score.probability)}${rank})${expected}`,
    data,
  };
}

function weakDiagnostic(document: TextDocument, sentence: Sentence, isNext: number, severity: DiagnosticSeverity): Diagnostic {
  const text = document.getText();
  const [start, end] = sentence.range;
  const firstWord = /^\S+/.exec(text.slice(start, end))?.[0].length ?? end - start;
  return {
    range: rangeOf(document, start, start + firstWord),
    severity,
    source: DIAGNOSTIC_SOURCE,
    code: WEAK_TRANSITION,
    message: `Weak transition: the model gives ${formatPercent(isNext)} that this sentence follows the previous one`,
  };
}

function tooLarge(length: number, limit: number): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: DIAGNOSTIC_SOURCE,
    code: FILE_TOO_LARGE,
    message: `BERT Lens does not scan this file: ${length.toLocaleString('en')} characters is above bertLens.diagnostics.maxFileSize (${limit.toLocaleString('en')})`,
  };
}

/** A Map that forgets its oldest entries beyond `limit`. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.limit) this.delete(this.keys().next().value as K);
    return this;
  }
}
