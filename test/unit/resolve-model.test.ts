// resolveModel end to end: a Hub id served by a real HTTP server on 127.0.0.1 (the mock Hub)
// is downloaded, compiled once into the graph cache and loaded by the engine; a checkpoint
// folder is compiled the same way; bundled names and compiled folders pass straight through.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fillMask, loadModel } from '../../src/engine';
import { ModelNotFoundError } from '../../src/model/bundled';
import { resolveModel } from '../../src/model/resolve';
import { MockHub } from '../support/mock-hub';

const root = join(__dirname, '..', '..');
const checkpoint = join(root, 'test', 'fixtures', 'checkpoints', 'legacy-pretraining');
const expected = JSON.parse(readFileSync(join(checkpoint, 'expected.json'), 'utf8'));
let hub: MockHub;

before(async () => {
  const files = Object.fromEntries(
    readdirSync(checkpoint)
      .filter((name) => name !== 'expected.json')
      .map((name) => [name, { content: readFileSync(join(checkpoint, name)), lfs: name.endsWith('.safetensors') }]),
  );
  hub = await MockHub.start([{ id: 'bert-lens-test/legacy', commit: 'a'.repeat(40), files }]);
});

after(() => hub.close());

test('a Hub id is downloaded, compiled once, cached, and predicts like the PyTorch reference', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'bert-lens-resolve-'));
  const steps: string[] = [];
  const options = { packageRoot: root, endpoint: hub.endpoint, cacheDir, onStep: (s: string) => steps.push(s) };
  const first = await resolveModel('bert-lens-test/legacy', options);
  assert.equal(first.source, 'hub');
  assert.ok(first.folder.startsWith(cacheDir), 'compiled into the per-user cache given');
  assert.ok(steps.some((s) => /^Compiling /.test(s)), steps.join('\n'));

  const model = await loadModel(first.folder, { executionProvider: 'cpu' });
  assert.ok(model.hasOutput('layer_means'), 'compiled as imports are, with layer_means');
  const result = await fillMask(model, expected.cases[0].text_a, { topK: 1 });
  const probabilities: number[] = expected.cases[0].mlm_probabilities[0];
  const best = probabilities.indexOf(Math.max(...probabilities));
  assert.equal(result.masks[0].predictions[0].id, best, 'same top-1 token as the reference');
  assert.ok(Math.abs(result.masks[0].predictions[0].score - probabilities[best]) < 1e-4);
  await model.dispose();

  steps.length = 0;
  const second = await resolveModel('bert-lens-test/legacy', options);
  assert.equal(second.folder, first.folder);
  assert.ok(steps.some((s) => /from the cache/.test(s)), steps.join('\n'));
  assert.ok(!steps.some((s) => /^Compiling /.test(s)), 'not compiled twice');
});

test('a checkpoint folder is compiled through the graph cache; a model folder is used as is', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'bert-lens-resolve-'));
  const compiled = await resolveModel(checkpoint, { packageRoot: root, cacheDir });
  assert.equal(compiled.source, 'checkpoint');
  assert.ok(compiled.folder.startsWith(cacheDir));
  const direct = await resolveModel(compiled.folder, { packageRoot: root, cacheDir });
  assert.deepEqual(direct, { folder: compiled.folder, source: 'folder' });
  const bundled = await resolveModel('', { packageRoot: root, cacheDir });
  assert.deepEqual(bundled, { folder: join(root, 'models', 'bert-lens-small'), source: 'bundled' });
});

test('unknown folders and unknown Hub ids fail with a clear message', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'bert-lens-resolve-'));
  await assert.rejects(resolveModel('/no/such/model', { packageRoot: root, cacheDir }), ModelNotFoundError);
  await assert.rejects(resolveModel('bert-lens-test/missing', { packageRoot: root, cacheDir, endpoint: hub.endpoint }), /not found/i);
  await assert.rejects(resolveModel(join(root, 'test'), { packageRoot: root, cacheDir }), /neither a model folder/);
});
