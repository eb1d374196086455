/**
 * Tests of the `nsp` and `coherence` CLI commands, called in-process with a context that
 * collects stdout / stderr, on the tiny-bert fixture: the contract JSON, JSONL input with errors
 * in place, the readable reports, stdin, large and binary files, and usage errors.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { runCoherence, MAX_INPUT_BYTES, type CoherenceCommandContext } from '../../src/cli/coherence';
import { runNsp } from '../../src/cli/nsp';
import { UsageError } from '../../src/cli/shared';
import { coherence } from '../../src/engine/coherence';
import { nextSentenceProbability } from '../../src/engine/nsp';
import { disposeAllModels, loadModel } from '../../src/engine/session';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'tiny-bert');
const MODEL = ['--model', FIXTURE];

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  command: (args: string[], ctx: CoherenceCommandContext) => Promise<number>,
  args: string[],
  extra: Partial<CoherenceCommandContext> = {},
): Promise<Run> {
  const stdout = new Collector();
  const stderr = new Collector();
  const code = await command(args, { stdout, stderr, cwd: work, packageRoot: ROOT, ...extra });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'bert-lens-nsp-cli-'));
});
after(async () => {
  rmSync(work, { recursive: true, force: true });
  await disposeAllModels();
});

const fixtureModel = () => loadModel(FIXTURE, { executionProvider: 'cpu' });

describe('bert-lens nsp', () => {
  test('--json prints {"isNext": p}, the engine value', async () => {
    const result = await run(runNsp, [...MODEL, '--json', 'I went home.', 'It was late.']);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(line), ['isNext']);
    const expected = await nextSentenceProbability(await fixtureModel(), 'I went home.', 'It was late.');
    assert.equal(line.isNext, expected.isNext);
  });

  test('the readable line shows P(IsNext) as a percentage and a bar', async () => {
    const result = await run(runNsp, [...MODEL, 'I went home.', 'It was late.']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^P\(IsNext\) [█▏▎▍▌▋▊▉·]{20} +\d+(\.\d+)?%  B (does not )?follows? A\n$/);
  });

  test('a pair longer than the model reads is cut, with a warning', async () => {
    const long = Array.from({ length: 2000 }, (_, i) => `w${i % 9}`).join(' ');
    const result = await run(runNsp, [...MODEL, '--json', long, 'Short.']);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /longer than the model reads \(512 tokens\) and was cut/);
    const { isNext } = JSON.parse(result.stdout);
    assert.ok(isNext >= 0 && isNext <= 1);
  });

  test('--input FILE.jsonl --json: one line per input line, errors in place, exit code 1', async () => {
    const input = join(work, 'pairs.jsonl');
    writeFileSync(
      input,
      [
        '{"a": "The cat sat.", "b": "It purred."}',
        'not json',
        '{"a": "only a"}',
        '{"a": "", "b": "empty a"}',
        '{"a": "Rain fell.", "b": "Roads were wet."}',
        '',
      ].join('\n'),
    );
    const result = await run(runNsp, [...MODEL, '--input', 'pairs.jsonl', '--json']);
    assert.equal(result.code, 1);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 5);
    const model = await fixtureModel();
    assert.deepEqual(lines[0], { isNext: (await nextSentenceProbability(model, 'The cat sat.', 'It purred.')).isNext });
    assert.deepEqual(lines[1], { error: 'line 2: not valid JSON' });
    assert.deepEqual(lines[2], { error: 'line 3: expected an object with "a" and "b" strings' });
    assert.deepEqual(lines[3], { error: 'line 4: text A is empty' });
    assert.ok(Math.abs(lines[4].isNext - (await nextSentenceProbability(model, 'Rain fell.', 'Roads were wet.')).isNext) < 1e-8);
    assert.match(result.stderr, /pairs\.jsonl: line 2: not valid JSON/);

    writeFileSync(input, '{"a": "A.", "b": "B."}\n{"a": "C.", "b": "D."}\n');
    const good = await run(runNsp, [...MODEL, '--input', input, '--json']);
    assert.equal(good.code, 0);
    assert.equal(good.stdout.trim().split('\n').length, 2);
  });

  test('usage mistakes are UsageErrors; a missing file is an error', async () => {
    const usage: Array<[string[], RegExp]> = [
      [[], /missing TEXT_A and TEXT_B/],
      [['only A'], /missing TEXT_B/],
      [['a', 'b', 'c'], /expected two texts, got 3/],
      [['--input', 'x.jsonl'], /--input needs --json/],
      [['--input', 'x.jsonl', '--json', 'a', 'b'], /either TEXT_A TEXT_B or --input/],
      [['--bogus', 'a', 'b'], /bogus/],
    ];
    for (const [args, message] of usage) {
      await assert.rejects(run(runNsp, args), (e: Error) => e instanceof UsageError && message.test(e.message), args.join(' '));
    }
    await assert.rejects(run(runNsp, [...MODEL, '--input', '/no/such.jsonl', '--json']), /cannot read \/no\/such\.jsonl: no such file/);
  });
});

describe('bert-lens coherence', () => {
  const text = [
    '# Weather',
    '',
    'It rained all night. The streets were wet. People carried umbrellas.',
    '',
    '```',
    'code(). not. prose.',
    '```',
    '',
    'The sun came out at noon. Everyone went outside.',
  ].join('\n');

  test('--json: the engine result with lines and weak flags at the threshold', async () => {
    writeFileSync(join(work, 'doc.md'), text);
    const result = await run(runCoherence, [...MODEL, '--json', '--threshold', '0.4950075', 'doc.md']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    const engine = await coherence(await fixtureModel(), text, { format: 'markdown' });
    assert.deepEqual(report.sentences.map((s: { text: string }) => s.text), engine.sentences.map((s) => s.text));
    assert.deepEqual(report.sentences.map((s: { line: number }) => s.line), [1, 3, 3, 3, 9, 9]);
    assert.equal(report.boundaries.length, 3);
    assert.equal(report.threshold, 0.4950075);
    report.boundaries.forEach((b: { isNext: number; weak: boolean; from: number }, i: number) => {
      assert.ok(Math.abs(b.isNext - engine.boundaries[i].isNext) < 1e-8);
      assert.equal(b.weak, b.isNext < 0.4950075);
    });
    assert.equal(report.summary.weak, report.boundaries.filter((b: { weak: boolean }) => b.weak).length);
    assert.equal(report.summary.count, 3);
  });

  test('the readable report lists every boundary with a bar and flags the weak ones', async () => {
    writeFileSync(join(work, 'doc.md'), text);
    const all = await run(runCoherence, [...MODEL, '--across-paragraphs', '--threshold', '100%', 'doc.md']);
    assert.equal(all.code, 0, all.stderr);
    const rows = all.stdout.split('\n').filter((l) => /^\s+\d+ → \d+/.test(l));
    assert.equal(rows.length, 5);
    assert.equal(rows.filter((l) => l.includes(' ¶ ')).length, 2);
    assert.ok(rows.every((l) => l.includes('WEAK')), 'all below 100%');
    assert.match(all.stdout, /^doc\.md: 6 sentences in 3 paragraphs, 5 boundaries scored \(¶ = across paragraphs\)/);
    assert.match(all.stdout, /5 of 5 below the threshold 100\.0%/);
    const none = await run(runCoherence, [...MODEL, '--threshold', '0', 'doc.md']);
    assert.ok(!none.stdout.includes('WEAK'));
    assert.match(none.stdout, /0 of 3 below the threshold/);
  });

  test('"-" reads stdin; plain text by default there', async () => {
    const stdin = Readable.from([Buffer.from('# Not a heading. Second sentence.\n'), Buffer.from('Third one.')]);
    const result = await run(runCoherence, [...MODEL, '--json', '-'], { stdin });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.sentences.map((s: { text: string }) => s.text), ['# Not a heading.', 'Second sentence.', 'Third one.']);
  });

  test('a 10 MB file is read up to the cap with warnings, never whole', async () => {
    const paragraph = 'The river rose after the storm. Farmers moved their animals to higher ground. ';
    const big = join(work, 'big.txt');
    writeFileSync(big, `${paragraph}\n\n`.repeat(Math.ceil((10 * 1024 * 1024) / (paragraph.length + 2))));
    const started = performance.now();
    const result = await run(runCoherence, [...MODEL, '--json', '--max-sentences', '200', big]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /big\.txt is 10\.0 MiB; reading only the first 1\.0 MiB \(up to line \d+\)/);
    assert.match(result.stderr, /read only the first 200 sentences/);
    const report = JSON.parse(result.stdout);
    assert.equal(report.sentences.length, 200);
    assert.ok(report.stoppedAt > 0 && report.stoppedAt < MAX_INPUT_BYTES);
    assert.ok(performance.now() - started < 30_000);
  });

  test('bad input: binary, too few sentences, folders, missing files', async () => {
    writeFileSync(join(work, 'binary.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0x41, 0x2e, 0x20, 0x42, 0x2e]));
    await assert.rejects(run(runCoherence, [...MODEL, 'binary.bin']), /binary\.bin looks like a binary file/);
    writeFileSync(join(work, 'one.txt'), 'Just one sentence here.');
    await assert.rejects(run(runCoherence, [...MODEL, 'one.txt']), /needs at least two sentences; the text has only one/);
    writeFileSync(join(work, 'empty.txt'), '');
    await assert.rejects(run(runCoherence, [...MODEL, 'empty.txt']), /needs at least two sentences; the text has none/);
    mkdirSync(join(work, 'folder'), { recursive: true });
    await assert.rejects(run(runCoherence, [...MODEL, 'folder']), /is a folder, not a file/);
    await assert.rejects(run(runCoherence, [...MODEL, 'missing.txt']), /cannot read .*missing\.txt: no such file/);
    writeFileSync(join(work, 'lonely.txt'), 'First alone.\n\nSecond alone.');
    const lonely = await run(runCoherence, [...MODEL, 'lonely.txt']);
    assert.equal(lonely.code, 0);
    assert.match(lonely.stderr, /no two sentences share a paragraph.*--across-paragraphs/);
    assert.match(lonely.stdout, /0 boundaries scored/);
  });

  test('usage mistakes are UsageErrors', async () => {
    const usage: Array<[string[], RegExp]> = [
      [[], /missing FILE/],
      [['a.txt', 'b.txt'], /expected one FILE, got 2/],
      [['--threshold', '1.5', 'a.txt'], /--threshold must be a probability/],
      [['--threshold', 'abc', 'a.txt'], /--threshold/],
      [['--format', 'rst', 'a.txt'], /--format must be markdown or plain/],
      [['--locale', 'not a locale!', 'a.txt'], /--locale must be a BCP 47 language tag/],
      [['--max-sentences', '1', 'a.txt'], /--max-sentences must be an integer of at least 2/],
      [['--nope', 'a.txt'], /nope/],
    ];
    for (const [args, message] of usage) {
      await assert.rejects(run(runCoherence, args), (e: Error) => e instanceof UsageError && message.test(e.message), args.join(' '));
    }
  });
});
