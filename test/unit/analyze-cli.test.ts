/**
 * Tests of the `analyze` and `bench` CLI commands, called in-process with a context that
 * collects stdout / stderr: on the tiny-bert fixture (invariants against the engine, partial
 * results for bad input, the size cap, usage errors) and once on the bundled default model
 * for the sentiment section.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ANALYZE_MAX_BYTES, runAnalyze } from '../../src/cli/analyze';
import { percentile, runBench, textOfTokens } from '../../src/cli/bench';
import type { CoherenceCommandContext } from '../../src/cli/coherence';
import { UsageError } from '../../src/cli/shared';
import { coherence } from '../../src/engine/coherence';
import { disposeAllModels, loadModel } from '../../src/engine/session';
import { unlikelyWords } from '../../src/engine/surprisal';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'tiny-bert');
const BUNDLED = join(ROOT, 'models', 'bert-lens-small');
const MODEL = ['--model', FIXTURE];

const TEXT = 'The cat sat on the mat. It was warm there. Bananas argue with the moon.\n\nA second paragraph starts here. It has two sentences.\n';

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(
  command: (args: string[], ctx: CoherenceCommandContext) => Promise<number>,
  args: string[],
  extra: Partial<CoherenceCommandContext> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Collector();
  const stderr = new Collector();
  const code = await command(args, { stdout, stderr, cwd: work, packageRoot: ROOT, ...extra });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

let work: string;
let textFile: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'bert-lens-analyze-cli-'));
  textFile = join(work, 'story.txt');
  writeFileSync(textFile, TEXT);
});
after(async () => {
  rmSync(work, { recursive: true, force: true });
  await disposeAllModels();
});

describe('bert-lens analyze', () => {
  test('--json: unlikely words, coherence and stats agree with the engine', async () => {
    const result = await run(runAnalyze, [...MODEL, '--json', '--threshold', '0.5', '--top', '5', textFile]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(report).sort(), ['coherence', 'labels', 'stats', 'unlikelyWords', 'warnings']);
    const model = await loadModel(FIXTURE, { executionProvider: 'cpu' });
    const expected = await unlikelyWords(model, TEXT, { threshold: 0.5, max: 5, cache: false });
    assert.deepEqual(
      report.unlikelyWords.map((w: { word: string }) => w.word),
      expected.words.map((w) => w.text),
    );
    // words: letters/digits runs (as --max-words counts them); bertWords: the engine's count, punctuation included.
    assert.equal(report.stats.words, TEXT.match(/[\p{L}\p{N}]+/gu)!.length);
    assert.equal(report.stats.bertWords, expected.scannedWords);
    assert.ok(report.stats.wordsPerSecond > 0 && report.stats.ms >= report.stats.scanMs && report.stats.scanMs > 0);
    assert.ok(Math.abs(report.stats.wordsPerSecond - report.stats.words / (report.stats.scanMs / 1000)) < 1e-6);
    for (const w of report.unlikelyWords) {
      assert.ok(w.probability < 0.5);
      // line:col points at the word in the file.
      const line = TEXT.split('\n')[w.line - 1];
      assert.equal(line.slice(w.column - 1, w.column - 1 + w.word.length), w.word);
      assert.ok(w.alternatives.length > 0 && w.alternatives.length <= 3);
    }
    const engine = await coherence(model, TEXT);
    assert.deepEqual(
      report.coherence.boundaries.map((b: { isNext: number }) => b.isNext),
      engine.boundaries.map((b) => b.isNext),
    );
    for (const b of report.coherence.boundaries) assert.equal(b.weak, b.isNext < 0.5);
    // The fixture ships no heads: the labels section is skipped, not an error.
    assert.deepEqual(report.labels, []);
  });

  test('the readable report has the three sections and the summary line', async () => {
    const result = await run(runAnalyze, [...MODEL, '--threshold', '0.9', textFile]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Unlikely words \(probability below 90\.0%, at most 20\):\n {2}\d+:\d+ /);
    assert.match(result.stdout, /Coherence \(boundaries below 50\.0% flagged WEAK\):\n/);
    assert.match(result.stdout, /Labels per paragraph:\n {2}no labels: the model ships no "sentiment" head/);
    assert.match(result.stdout, /\n\d+ words scanned \(\d+ words\/s\), \d+ ms in all\n$/);
  });

  test('--head with a path labels every paragraph', async () => {
    const head = join(BUNDLED, 'heads', 'sentiment.json');
    // The bundled head belongs to the bundled model; on another model classify warns or refuses.
    const result = await run(runAnalyze, ['--model', BUNDLED, '--json', '--head', head, textFile]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.labels.length, 2);
    assert.deepEqual(report.labels.map((l: { line: number }) => l.line), [1, 3]);
  });

  test('the default model labels paragraphs with its shipped sentiment head', async () => {
    const result = await run(runAnalyze, ['--model', BUNDLED, textFile]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Labels per paragraph \(head "sentiment"\):\n {2}¶1 +line 1 +(positive|negative) [\d.]+%, (positive|negative) [\d.]+%\n {2}¶2 +line 3 /);
  });

  test('a 2,000-word README on the default model: the scan finishes and reports words/s', async () => {
    const readme = join(ROOT, 'test', 'fixtures', 'readme-2000-words.md');
    const result = await run(runAnalyze, ['--json', readme]);
    assert.equal(result.code, 0, result.stderr);
    const { stats, coherence: report, labels } = JSON.parse(result.stdout);
    // 2,044 words in all; the default --max-words stops after the sentence that reaches 2,000.
    assert.ok(stats.words >= 2000 && stats.words <= 2044, String(stats.words));
    assert.ok(stats.wordsPerSecond > 0 && Number.isFinite(stats.wordsPerSecond));
    assert.ok(report.boundaries.length > 50 && labels.length > 30);
    console.log(`analyze of a 2,000-word README (bundled model): ${stats.words} words in ${(stats.scanMs / 1000).toFixed(1)} s = ${stats.wordsPerSecond.toFixed(0)} words/s; ${(stats.ms / 1000).toFixed(1)} s with coherence and labels`);
  });

  test('an empty file gives a partial report with a warning, not a crash', async () => {
    const empty = join(work, 'empty.txt');
    writeFileSync(empty, '');
    const result = await run(runAnalyze, [...MODEL, '--json', empty]);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /warning: .*empty/);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.unlikelyWords, []);
    assert.equal(report.coherence, null);
    assert.equal(report.stats.words, 0);
  });

  test('one sentence: words are scanned, coherence is skipped with a warning', async () => {
    const one = join(work, 'one.txt');
    writeFileSync(one, 'Just one sentence here');
    const result = await run(runAnalyze, [...MODEL, '--json', '--threshold', '1', one]);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /warning: no coherence: .*only one/);
    const report = JSON.parse(result.stdout);
    assert.equal(report.coherence, null);
    assert.equal(report.stats.words, 4);
  });

  test('a large file is cut at the cap, the scan at --max-words, with warnings; stdin works with "-"', async () => {
    const big = join(work, 'big.txt');
    const sentence = 'The cat sat on the mat.\n';
    writeFileSync(big, sentence.repeat(Math.ceil((10 * 1024 * 1024) / sentence.length)));
    const [fromFile, fromStdin] = [
      await run(runAnalyze, [...MODEL, '--json', '--top', '0', big]),
      await run(runAnalyze, [...MODEL, '--json', '--top', '0', '-'], {
        stdin: Readable.from([Buffer.from(sentence.repeat(Math.ceil((ANALYZE_MAX_BYTES * 2) / sentence.length)))]),
      }),
    ];
    for (const result of [fromFile, fromStdin]) {
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /warning: .* analysing only the first 256 KiB/);
      const report = JSON.parse(result.stdout);
      assert.match(result.stderr, /warning: scanning words only up to line 334 \(the first 2000 words; raise --max-words/);
      // 6 words per sentence: the scan stops after sentence 334 (2,004 words), 7 BERT words each (the period too).
      assert.equal(report.stats.words, 334 * 6);
      assert.equal(report.stats.bertWords, 334 * 7);
      assert.deepEqual(report.unlikelyWords, []);
    }
  });

  test('usage errors', async () => {
    await assert.rejects(run(runAnalyze, [...MODEL]), UsageError);
    await assert.rejects(run(runAnalyze, [...MODEL, '--threshold', '0', textFile]), UsageError);
    await assert.rejects(run(runAnalyze, [...MODEL, '--max-words', '0', textFile]), UsageError);
    await assert.rejects(run(runAnalyze, [...MODEL, '--top', '-1', textFile]), UsageError);
    await assert.rejects(run(runAnalyze, [...MODEL, '--format', 'html', textFile]), UsageError);
    await assert.rejects(run(runAnalyze, [...MODEL, join(work, 'missing.txt')]), /no such file/);
  });
});

describe('bert-lens bench', () => {
  test('textOfTokens encodes to exactly the asked length', async () => {
    const model = await loadModel(FIXTURE, { executionProvider: 'cpu' });
    for (const n of [16, 128]) assert.equal((await model.tokenizer.encode(await textOfTokens(model, n))).ids.length, n);
  });

  test('percentile is nearest-rank', () => {
    assert.equal(percentile([5, 1, 3, 2, 4], 0.5), 3);
    assert.equal(percentile(Array.from({ length: 20 }, (_, i) => i + 1), 0.95), 19);
  });

  test('--json prints one object with every case', async () => {
    const result = await run(runBench, [...MODEL, '--json', '--runs', '3']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const report = JSON.parse(lines[0]);
    assert.ok(report.loadMs >= 0 && report.rssMiB > 0);
    assert.deepEqual(report.cases.map((c: { tokens: number; batch: number }) => [c.tokens, c.batch]), [[16, 1], [16, 8], [128, 1], [128, 8]]);
    for (const c of report.cases) assert.ok(c.runs === 3 && c.medianMs > 0 && c.p95Ms >= c.medianMs);
  });

  test('the readable table, and no positional arguments', async () => {
    const result = await run(runBench, [...MODEL, '--runs', '3']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /tokens {2}batch {2}runs {2}median ms {3}p95 ms\n +16 +1 +3 /);
    assert.match(result.stdout, /npm run bench/);
    await assert.rejects(run(runBench, [...MODEL, 'extra']), UsageError);
  });
});
