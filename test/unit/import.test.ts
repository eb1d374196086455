/**
 * Tests of `bert-lens import` (src/cli/import.ts), called directly with captured streams:
 * it compiles a fixture checkpoint into a folder the engine loads (with the `layer_means` output
 * that layers-mean heads read), prints heads, notes, sizes and timings (text and --json), and
 * fails with clear messages for bad sources.
 */
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { runImport } from '../../src/cli/import';
import { UsageError, type CommandContext } from '../../src/cli/shared';
import { disposeAllModels, fillMask, loadModel } from '../../src/engine';
import { MockHub } from '../support/mock-hub';

const FIXTURES = resolve(__dirname, '../../test/fixtures/checkpoints');
const work = mkdtempSync(join(tmpdir(), 'bert-lens-import-'));
after(async () => {
  await disposeAllModels();
  rmSync(work, { recursive: true, force: true });
});

function context(): { ctx: CommandContext; output: () => string } {
  const stdout = new PassThrough();
  const chunks: string[] = [];
  stdout.on('data', (chunk) => chunks.push(String(chunk)));
  return {
    ctx: { stdout, stderr: new PassThrough(), cwd: work, packageRoot: resolve(__dirname, '../..') },
    output: () => chunks.join(''),
  };
}

describe('bert-lens import', () => {
  test('compiles a pre-training checkpoint into a folder fill-mask runs on', async () => {
    const { ctx, output } = context();
    const code = await runImport([join(FIXTURES, 'legacy-pretraining'), '--out', 'legacy'], ctx);
    assert.equal(code, 0);
    const text = output();
    assert.match(text, /masked LM \(fill-mask\): +yes/);
    assert.match(text, /next-sentence prediction: +yes/);
    assert.match(text, /sequence classifier: +no/);
    assert.match(text, /model\.onnx +\d+\.\d KiB/);
    assert.match(text, /Compiled in \d+\.\d\d s/);
    assert.match(text, /Graph: standard operators, fp32, with layer_means/);
    assert.deepEqual(readdirSync(join(work, 'legacy')).sort(), ['config.json', 'model.onnx', 'vocab.txt']);
    const model = await loadModel(join(work, 'legacy'), { executionProvider: 'cpu' });
    assert.ok(model.hasOutput('layer_means'), 'imports carry layer_means');
    const result = await fillMask(model, 'The capital of France is [MASK].');
    assert.equal(result.masks.length, 1);
    await model.dispose();
  });

  test('--json reports heads, labels, notes and sizes', async () => {
    const { ctx, output } = context();
    assert.equal(await runImport([join(FIXTURES, 'sequence-classifier'), '--out', join(work, 'classifier'), '--json'], ctx), 0);
    const report = JSON.parse(output());
    assert.deepEqual(report.heads, { mlm: false, nsp: false, pooler: true, classifierLabels: 3 });
    assert.deepEqual(report.labels, ['negative', 'neutral', 'positive']);
    assert.ok(report.notes.some((n: string) => /fill-mask is off/.test(n)));
    assert.equal(report.onnxBytes, report.files.find((f: { name: string }) => f.name === 'model.onnx').bytes);
    assert.ok(report.parameters > 30_000 && report.parameters < 100_000, String(report.parameters));
    assert.equal(report.layerMeans, true);
    assert.ok(existsSync(join(work, 'classifier', 'tokenizer_config.json')));
  });

  test('a vocab_size padded past vocab.txt imports and predicts only real tokens; a longer vocab.txt is refused', async () => {
    const dir = join(work, 'padded-checkpoint');
    cpSync(join(FIXTURES, 'legacy-pretraining'), dir, { recursive: true });
    const vocab = readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(join(dir, 'vocab.txt'), `${vocab.slice(0, -8).join('\n')}\n`);
    assert.equal(await runImport([dir, '--out', join(work, 'padded')], context().ctx), 0);
    const model = await loadModel(join(work, 'padded'), { executionProvider: 'cpu' });
    const result = await fillMask(model, 'the [MASK] is here .', { topK: vocab.length });
    assert.equal(result.masks[0].predictions.length, vocab.length - 8, 'one prediction per real token, none for the padding rows');
    await model.dispose();

    writeFileSync(join(dir, 'vocab.txt'), `${vocab.join('\n')}\nextra\n`);
    await assert.rejects(runImport([dir, '--out', join(work, 'too-long')], context().ctx), /has \d+ tokens but config\.json says vocab_size is \d+: ids past/);
  });

  test('a folder with only pytorch_model.bin is refused, pointing at safetensors', async () => {
    const dir = join(work, 'pickled');
    cpSync(join(FIXTURES, 'chinese'), dir, { recursive: true });
    renameSync(join(dir, 'model.safetensors'), join(dir, 'pytorch_model.bin'));
    await assert.rejects(runImport([dir, '--out', join(work, 'never')], context().ctx), /pytorch_model\.bin.*safetensors/s);
    assert.equal(existsSync(join(work, 'never')), false);
  });

  test('usage errors and missing sources', async () => {
    await assert.rejects(runImport([], context().ctx), UsageError);
    await assert.rejects(runImport(['a', 'b'], context().ctx), UsageError);
    await assert.rejects(runImport(['x', '--bogus'], context().ctx), UsageError);
    await assert.rejects(runImport([join(work, 'missing')], context().ctx), /Checkpoint folder not found/);
  });

  test('a Hub id is downloaded from the (mock) Hub into the per-user cache, then compiled', async () => {
    const checkpoint = join(FIXTURES, 'legacy-pretraining');
    const files = Object.fromEntries(
      readdirSync(checkpoint)
        .filter((name) => name !== 'expected.json')
        .map((name) => [name, { content: readFileSync(join(checkpoint, name)), lfs: name.endsWith('.safetensors') }]),
    );
    const hub = await MockHub.start([{ id: 'bert-lens-test/legacy', commit: 'b'.repeat(40), files }]);
    const saved = { endpoint: process.env.HF_ENDPOINT, cache: process.env.BERT_LENS_CACHE };
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.BERT_LENS_CACHE = join(work, 'user-cache');
    try {
      const { ctx } = context();
      assert.equal(await runImport(['bert-lens-test/legacy', '--out', 'from-hub'], ctx), 0);
      const model = await loadModel(join(work, 'from-hub'), { executionProvider: 'cpu' });
      assert.equal((await fillMask(model, 'The capital of France is [MASK].', { topK: 1 })).masks.length, 1);
      assert.ok(existsSync(join(work, 'user-cache')), 'the download went to the per-user cache given');
      await assert.rejects(runImport(['bert-lens-test/missing'], context().ctx), /not found/i);
    } finally {
      for (const [key, value] of [['HF_ENDPOINT', saved.endpoint], ['BERT_LENS_CACHE', saved.cache]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await hub.close();
    }
  });
});
