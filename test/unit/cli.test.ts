// The `bert-lens` CLI as users run it: a real `node dist/cli.js` process on the fixture model
// (build first: `node esbuild.mjs`). Checks the JSON contract of SPEC.md, exit codes, stderr.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const fixture = join(root, 'test', 'fixtures', 'tiny-bert');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function bertLens(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [cli, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function assertContractLine(line: unknown, masks: number, topK: number): void {
  assert.deepEqual(Object.keys(line as object), ['masks']);
  const result = line as { masks: Array<{ predictions: Array<{ token: string; score: number }> }> };
  assert.equal(result.masks.length, masks);
  for (const mask of result.masks) {
    assert.deepEqual(Object.keys(mask), ['predictions']);
    assert.equal(mask.predictions.length, topK);
    for (const p of mask.predictions) {
      assert.deepEqual(Object.keys(p), ['token', 'score']);
      assert.equal(typeof p.token, 'string');
      assert.ok(p.score > 0 && p.score <= 1, `score ${p.score} in (0, 1]`);
    }
    const scores = mask.predictions.map((p) => p.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'sorted by score');
  }
}

test('fill-mask --json prints the contract JSON for the default (bundled) model', async () => {
  const run = await bertLens('fill-mask', '--json', 'the [MASK] sat on the mat .');
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assertContractLine(JSON.parse(lines[0]), 1, 5);
});

test('fill-mask with --model, --top-k and two masks; the human-readable table by default', async () => {
  const json = await bertLens('fill-mask', '--model', fixture, '--top-k', '3', '--json', 'a [MASK] and a [MASK] .');
  assert.equal(json.code, 0, json.stderr);
  assertContractLine(JSON.parse(json.stdout), 2, 3);
  const table = await bertLens('fill-mask', '--model', fixture, 'a [MASK] .');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /\[MASK\] 1 of 1/);
  assert.equal(table.stdout.match(/^\s+\d+\. .+%$/gm)?.length, 5);
});

test('fill-mask --input FILE.jsonl --json: one output line per input line, errors in place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bert-lens-cli-'));
  const input = join(dir, 'in.jsonl');
  writeFileSync(input, ['{"text": "the [MASK] sat ."}', 'not json', '{"text": "no mask here"}', '{"text": "[MASK] [MASK] [MASK]"}', ''].join('\n'));
  const run = await bertLens('fill-mask', '--input', input, '--json');
  assert.equal(run.code, 1, 'bad lines make the exit code non-zero');
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  assertContractLine(lines[0], 1, 5);
  assert.match(lines[1].error, /line 2: not valid JSON/);
  assert.match(lines[2].error, /line 3: .*\[MASK\]/);
  assertContractLine(lines[3], 3, 5);
  assert.match(run.stderr, /line 2: not valid JSON/);
});

test('bad usage and missing models fail with a message on stderr and a non-zero exit code', async () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['fill-mask'], 2, /missing TEXT/],
    [['fill-mask', '--top-k', '0', 'a [MASK]'], 2, /--top-k must be an integer/],
    [['fill-mask', '--input', 'x.jsonl'], 2, /--input needs --json/],
    [['fill-mask', '--bogus', 'a [MASK]'], 2, /bogus/],
    [['fill-mask', '--model', '/no/such/model', 'a [MASK]'], 1, /Model folder not found: \/no\/such\/model/],
    [['fill-mask', '--input', '/no/such.jsonl', '--json'], 1, /cannot read \/no\/such\.jsonl/],
    [['fill-mask', 'no mask in this text'], 1, /\[MASK\]/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
  ];
  for (const [args, code, message] of cases) {
    const run = await bertLens(...args);
    assert.equal(run.code, code, `${args.join(' ')}: exit code`);
    assert.match(run.stderr, message, `${args.join(' ')}: stderr`);
    assert.equal(run.stdout, '', `${args.join(' ')}: nothing on stdout`);
  }
});

test('nsp --json prints {"isNext": p}; coherence needs two sentences', async () => {
  const nsp = await bertLens('nsp', '--model', fixture, '--json', 'The cat sat down.', 'It fell asleep.');
  assert.equal(nsp.code, 0, nsp.stderr);
  const line = JSON.parse(nsp.stdout);
  assert.deepEqual(Object.keys(line), ['isNext']);
  assert.ok(line.isNext >= 0 && line.isNext <= 1);
  const dir = mkdtempSync(join(tmpdir(), 'bert-lens-cli-'));
  writeFileSync(join(dir, 'one.txt'), 'Only one sentence here.\n');
  const one = await bertLens('coherence', join(dir, 'one.txt'));
  assert.equal(one.code, 1);
  assert.match(one.stderr, /at least two sentences/);
});

test('COMMAND --help prints that command\'s usage (every form of it) and the common options, exit 0', async () => {
  for (const command of ['fill-mask', 'nsp', 'coherence', 'analyze', 'classify', 'train-head', 'import', 'serve', 'bench']) {
    const run = await bertLens(command, '--help');
    assert.equal(run.code, 0, `${command}: ${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^Usage: bert-lens ${command} \\[options\\]`));
    assert.match(run.stdout, new RegExp(`^  ${command}( |$)`, 'm'), `${command} has its usage lines`);
    assert.match(run.stdout, /^Options:/m);
    const others = run.stdout.split('\n').filter((l) => /^ {2}[a-z]/.test(l) && !l.startsWith(`  ${command}`));
    assert.deepEqual(others, [], `${command}: no other command's lines`);
  }
  const forms = (await bertLens('fill-mask', '-h')).stdout.split('\n').filter((l) => l.startsWith('  fill-mask'));
  assert.equal(forms.length, 2, 'fill-mask TEXT and fill-mask --input');
});
