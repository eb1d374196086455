/**
 * The `train-head` and `classify` CLI commands, called in-process with a fake context (a temp
 * working folder, captured stdout / stderr) on the tiny fixture model and on the compiled
 * sequence-classifier fixture: saving, refusing to overwrite, the report, the contract JSON of
 * classify with TEXT and with --input, --pooling layers-mean (on the tiny checkpoint compiled
 * with layer_means), and the errors.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { runClassify } from '../../src/cli/classify';
import { UsageError, type CommandContext } from '../../src/cli/shared';
import { runTrainHead } from '../../src/cli/train-head';
import { DEFAULT_MODEL } from '../../src/model/bundled';
import { disposeAllModels } from '../../src/engine/session';
import { parseLinearHead } from '../../src/engine/linear-head';
import { compileCheckpoint, IMPORT_COMPILE_OPTIONS } from '../../src/model/compile';

const ROOT = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'bert-lens-classify-cli-'));
after(async () => {
  await disposeAllModels();
  rmSync(work, { recursive: true, force: true });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function context(cwd = work): CommandContext & { stdout: Capture; stderr: Capture } {
  return { stdout: new Capture(), stderr: new Capture(), cwd, packageRoot: ROOT };
}

const positive = ['a wonderful film', 'great acting and a lovely story', 'i loved it', 'superb and moving', 'a delight from start to end', 'brilliant fun', 'warm and funny', 'the best film this year', 'charming', 'pure joy'];
const negative = ['a dull film', 'terrible acting and a boring story', 'i hated it', 'awful and slow', 'a mess from start to end', 'tedious', 'cold and lifeless', 'the worst film this year', 'annoying', 'pure pain'];

before(() => {
  const lines = [...positive.map((text) => ({ text, label: 'pos' })), ...negative.map((text) => ({ text, label: 'neg' }))];
  writeFileSync(join(work, 'reviews.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
  writeFileSync(
    join(work, 'reviews.csv'),
    `text,label\n${positive.map((t) => `"${t}",pos`).join('\n')}\nbroken "line,pos\n${negative.map((t) => `${t},neg`).join('\n')}\n`,
  );
  writeFileSync(join(work, 'one-class.jsonl'), positive.map((text) => JSON.stringify({ text, label: 'pos' })).join('\n'));
});

describe('train-head', () => {
  test('trains, prints the cross-validation report and saves .bert-lens/heads/NAME.json', async () => {
    const ctx = context();
    const code = await runTrainHead(['--data', 'reviews.jsonl', '--name', 'sentiment', '--folds', '5'], ctx);
    assert.equal(code, 0, ctx.stderr.text);
    const saved = join(work, '.bert-lens', 'heads', 'sentiment.json');
    const head = parseLinearHead(JSON.parse(readFileSync(saved, 'utf8')), saved);
    assert.deepEqual(head.labels, ['neg', 'pos']);
    assert.equal(head.pooling, 'mean');
    assert.equal(head.model.name, DEFAULT_MODEL, 'the head remembers the model it was trained on');
    assert.equal(head.training.examples, 20);
    assert.equal(head.training.crossValidation?.folds, 5);
    assert.equal(head.training.crossValidation?.metrics.confusion.flat().reduce((a, b) => a + b, 0), 20);
    assert.match(ctx.stdout.text, /Cross-validation \(5 stratified folds, seed 42\) on 20 examples/);
    assert.match(ctx.stdout.text, /confusion matrix/);
    assert.match(ctx.stdout.text, /Saved \.bert-lens\/heads\/sentiment\.json/);
    assert.match(ctx.stderr.text, /Extracting features \(mean pooling\): 20\/20/);
    assert.match(ctx.stderr.text, /Final fit on all examples: 6\/6/);
  });

  test('refuses to overwrite without --force', async () => {
    const ctx = context();
    await assert.rejects(runTrainHead(['--data', 'reviews.jsonl', '--name', 'sentiment'], ctx), /sentiment\.json exists; pass --force/);
    const forced = context();
    assert.equal(await runTrainHead(['--data', 'reviews.jsonl', '--name', 'sentiment', '--folds', '0', '--force', '--pooling', 'cls'], forced), 0);
    const head = JSON.parse(readFileSync(join(work, '.bert-lens', 'heads', 'sentiment.json'), 'utf8'));
    assert.equal(head.pooling, 'cls');
    assert.equal(head.training.crossValidation, null);
  });

  test('CSV with a broken line: warned with its line number, skipped; --json report; folds reduced', async () => {
    const ctx = context();
    assert.equal(await runTrainHead(['--data', 'reviews.csv', '--name', 'from-csv', '--folds', '20', '--json'], ctx), 0);
    assert.match(ctx.stderr.text, /reviews\.csv: line 12: a quote inside an unquoted field .* \(skipped\)/);
    assert.match(ctx.stderr.text, /"neg" has only 10 examples, fewer than 20 folds: using 10 folds/);
    const report = JSON.parse(ctx.stdout.text);
    assert.equal(report.examples, 20);
    assert.equal(report.skipped, 1);
    assert.equal(report.crossValidation.folds, 10);
    assert.equal(report.crossValidation.metrics.perClass.length, 2);
    assert.ok(existsSync(join(work, '.bert-lens', 'heads', 'from-csv.json')));
  });

  test('--pooling layers-mean: trains on a model with layer_means, classifies; a model without it is refused', async () => {
    const compiled = join(work, 'tiny-layer-means');
    await compileCheckpoint(join(ROOT, 'test', 'fixtures', 'tiny-bert'), compiled, IMPORT_COMPILE_OPTIONS);
    const cwd = join(work, 'layers-mean'); // its own heads folder: the listing below expects only its heads
    mkdirSync(cwd);
    const data = join(work, 'reviews.jsonl');
    const ctx = context(cwd);
    assert.equal(await runTrainHead(['--data', data, '--name', 'layers', '--folds', '2', '--pooling', 'layers-mean', '--model', compiled, '--json'], ctx), 0, ctx.stderr.text);
    assert.equal(JSON.parse(ctx.stdout.text).pooling, 'layers-mean');
    assert.match(ctx.stderr.text, /Extracting features \(layers-mean pooling\)/);
    const saved = join(cwd, '.bert-lens', 'heads', 'layers.json');
    const head = parseLinearHead(JSON.parse(readFileSync(saved, 'utf8')), saved);
    assert.equal(head.model.numHiddenLayers, 2);
    assert.equal(head.weights[0].length, 3 * 32);
    const classified = context(cwd);
    assert.equal(await runClassify(['--head', 'layers', '--json', 'what a lovely film'], classified), 0, classified.stderr.text);
    assert.equal(JSON.parse(classified.stdout.text).labels.length, 2);
    const fixture = join(ROOT, 'test', 'fixtures', 'tiny-bert');
    await assert.rejects(runTrainHead(['--data', data, '--name', 'x', '--pooling', 'layers-mean', '--model', fixture], context(cwd)), /has no layer_means output/);
  });

  test('bad input: one class, a missing file, usage mistakes', async () => {
    await assert.rejects(runTrainHead(['--data', 'one-class.jsonl', '--name', 'x'], context()), /only one class \("pos", 10 examples\)/);
    await assert.rejects(runTrainHead(['--data', 'nope.csv', '--name', 'x'], context()), /cannot read .*nope\.csv: no such file/);
    await assert.rejects(runTrainHead(['--name', 'x'], context()), (e: Error) => e instanceof UsageError && /missing --data/.test(e.message));
    await assert.rejects(runTrainHead(['--data', 'reviews.jsonl', '--name', '../escape'], context()), UsageError);
    await assert.rejects(runTrainHead(['--data', 'reviews.jsonl', '--name', 'model'], context()), /reserved/);
    await assert.rejects(runTrainHead(['--data', 'reviews.jsonl', '--name', 'x', '--pooling', 'max'], context()), /--pooling must be mean, cls or layers-mean/);
    await assert.rejects(runTrainHead(['--data', 'reviews.jsonl', '--name', 'x', '--folds', '1'], context()), UsageError);
    assert.ok(!existsSync(join(work, '.bert-lens', 'heads', 'x.json')));
  });
});

describe('classify', () => {
  test('--json TEXT prints {"labels": [...]} sorted, summing to 1', async () => {
    const ctx = context();
    assert.equal(await runClassify(['--head', 'from-csv', '--json', 'what a lovely film'], ctx), 0, ctx.stderr.text);
    const line = JSON.parse(ctx.stdout.text);
    assert.deepEqual(Object.keys(line), ['labels']);
    assert.deepEqual(line.labels.map((l: { label: string }) => l.label).sort(), ['neg', 'pos']);
    for (const l of line.labels) assert.deepEqual(Object.keys(l), ['label', 'score']);
    assert.ok(line.labels[0].score >= line.labels[1].score);
    assert.ok(Math.abs(line.labels[0].score + line.labels[1].score - 1) < 1e-9);
  });

  test('the readable list by default; a head given as a path', async () => {
    const ctx = context();
    assert.equal(await runClassify(['--head', '.bert-lens/heads/from-csv.json', 'dull'], ctx), 0);
    assert.match(ctx.stdout.text, /^(pos|neg)\s+\d+\.\d%/m);
    assert.match(ctx.stdout.text, /\d ms\n$/);
  });

  test('--input FILE --json: one line per input line, errors in place, exit code 1', async () => {
    const input = join(work, 'texts.jsonl');
    writeFileSync(input, '{"text": "great"}\nnot json\n{"text": ""}\n{"text": "awful"}\n');
    const ctx = context();
    assert.equal(await runClassify(['--head', 'from-csv', '--input', input, '--json'], ctx), 1);
    const lines = ctx.stdout.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    assert.ok(Array.isArray(lines[0].labels) && Array.isArray(lines[3].labels));
    assert.equal(lines[1].error, 'line 2: not valid JSON');
    assert.equal(lines[2].error, 'line 3: The text is empty');
    assert.match(ctx.stderr.text, /line 2: not valid JSON/);
  });

  test('an unknown head lists the saved ones; usage mistakes', async () => {
    await assert.rejects(runClassify(['--head', 'nothing', 'x'], context()), /no head named "nothing" .*saved heads: (from-csv, sentiment|sentiment, from-csv)/);
    await assert.rejects(runClassify(['x'], context()), (e: Error) => e instanceof UsageError && /missing --head/.test(e.message));
    await assert.rejects(runClassify(['--head', 'from-csv', '--input', 'f.jsonl'], context()), /--input needs --json/);
    await assert.rejects(runClassify(['--head', 'from-csv'], context()), /missing TEXT/);
  });

  test('--head model: the tiny model has none; a compiled sequence classifier gives its labels', async () => {
    await assert.rejects(runClassify(['--head', 'model', 'x'], context()), /has no classifier head/);
    const compiled = join(work, 'compiled-classifier');
    await compileCheckpoint(join(ROOT, 'test', 'fixtures', 'checkpoints', 'sequence-classifier'), compiled);
    const ctx = context();
    assert.equal(await runClassify(['--head', 'model', '--model', compiled, '--json', 'This movie was great, I loved it.'], ctx), 0, ctx.stderr.text);
    const labels = JSON.parse(ctx.stdout.text).labels as Array<{ label: string; score: number }>;
    assert.deepEqual(labels.map((l) => l.label).sort(), ['negative', 'neutral', 'positive']);
    // expected.json: [negative 0.4109, neutral 0.4897, positive 0.0994]
    assert.equal(labels[0].label, 'neutral');
    assert.ok(Math.abs(labels[0].score - 0.489673138) < 1e-4);
    // A linear head of the tiny model on the classifier model is refused (other vocabulary).
    await assert.rejects(runClassify(['--head', 'from-csv', '--model', compiled, 'x'], context()), /hidden size|vocabulary differs/);
  });
});
