// Every custom request of src/protocol against the real server process on the fixture model
// (tiny random BERT): shapes and invariants, validation errors with their codes, work-done
// progress of trainHead, heads listed and resolved, attention maps compiled from the fixture's
// checkpoint, cancellation.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LSPErrorCodes, ResponseError, WorkDoneProgress } from 'vscode-languageserver-protocol/node';
import {
  AttentionRequest,
  ClassifyRequest,
  CoherenceRequest,
  ErrorCodes,
  FillMaskRequest,
  ListHeadsRequest,
  NspRequest,
  ReplacementsRequest,
  StatusRequest,
  TokenizeRequest,
  TrainHeadRequest,
  UnlikelyWordsRequest,
  WordProbabilitiesRequest,
} from '../../src/protocol';
import { root, startTestServer, type TestServer } from './server-harness';

let server: TestServer;
const workspace = mkdtempSync(join(tmpdir(), 'bert-lens-workspace-'));

before(async () => {
  server = await startTestServer({ topK: 3 });
  await server.ready;
});

after(async () => {
  await server.stop();
  rmSync(workspace, { recursive: true, force: true });
});

async function rejectsWith(promise: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ResponseError, `a ResponseError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

test('fillMask: targets are scored at every mask, leftToRight fills them in order', async () => {
  const c = server.connection;
  const scored = await c.sendRequest(FillMaskRequest, { text: 'the [MASK] sat on the [MASK] .', targets: ['cat', 'dog'] });
  assert.equal(scored.masks.length, 2);
  for (const mask of scored.masks as unknown as Array<{ targets: Array<{ target: string; score: number }> }>) {
    assert.deepEqual(mask.targets.map((t) => t.target), ['cat', 'dog']);
    for (const t of mask.targets) assert.ok(t.score > 0 && t.score < 1);
  }
  const filled = (await c.sendRequest(FillMaskRequest, { text: 'a [MASK] b [MASK] c', leftToRight: true })) as unknown as { filledText: string };
  assert.doesNotMatch(filled.filledText, /\[MASK\]/);
  await rejectsWith(c.sendRequest(FillMaskRequest, { text: 'a [MASK]', topK: 0 }), ErrorCodes.InvalidInput, /topK/);
  await rejectsWith(c.sendRequest(FillMaskRequest, { text: 'a [MASK]', targets: [''] }), ErrorCodes.InvalidInput, /targets/);
});

test('replacements: whole-word alternatives, the original with probability and rank, a widened range', async () => {
  const text = 'The cat sat on the mat.';
  const result = await server.connection.sendRequest(ReplacementsRequest, { text, range: [5, 6] });
  assert.deepEqual(result.range, [4, 7]);
  assert.equal(result.expanded, true);
  assert.equal(result.original.text, 'cat');
  assert.ok(result.original.rank >= 1 && result.original.probability > 0 && result.original.probability < 1);
  assert.equal(result.candidates.length, 3);
  const probabilities = result.candidates.map((c) => c.probability);
  assert.deepEqual(probabilities, [...probabilities].sort((a, b) => b - a));
  await rejectsWith(server.connection.sendRequest(ReplacementsRequest, { text, range: [3, 3] }), ErrorCodes.InvalidInput, /empty/);
  await rejectsWith(server.connection.sendRequest(ReplacementsRequest, { text, range: 'x' as never }), ErrorCodes.InvalidInput, /range/);
});

test('nsp and coherence: probabilities in [0, 1], one boundary per consecutive pair', async () => {
  const c = server.connection;
  const nsp = await c.sendRequest(NspRequest, { a: 'It rained.', b: 'The streets were wet.' });
  assert.ok(nsp.isNext >= 0 && nsp.isNext <= 1);
  const result = await c.sendRequest(CoherenceRequest, { text: 'One here. Two here. Three here.\n\nFour here.', acrossParagraphs: true });
  assert.equal(result.sentences.length, 4);
  assert.deepEqual(result.boundaries.map((b) => [b.from, b.to, b.paragraphBoundary]), [[0, 1, false], [1, 2, false], [2, 3, true]]);
  await rejectsWith(c.sendRequest(CoherenceRequest, { text: 'Only one sentence.' }), ErrorCodes.InvalidInput, /two sentences/);
  await rejectsWith(c.sendRequest(NspRequest, { a: 'x', b: '' }), ErrorCodes.InvalidInput, /b: The text is empty/);
});

test('unlikelyWords and wordProbabilities: every word scored, least likely first, capped', async () => {
  const c = server.connection;
  const text = 'The cat sat on the mat. A dog ran in the park.';
  const words = await c.sendRequest(WordProbabilitiesRequest, { text });
  assert.equal(words.words.filter((w) => !w.punctuation).length, 12);
  for (const w of words.words) assert.ok(w.probability > 0 && w.probability <= 1 && Math.abs(w.surprisal + Math.log2(w.probability)) < 1e-9);
  const unlikely = await c.sendRequest(UnlikelyWordsRequest, { text, threshold: 1, max: 4 });
  assert.equal(unlikely.words.length, 4);
  const p = unlikely.words.map((w) => w.probability);
  assert.deepEqual(p, [...p].sort((a, b) => a - b));
  for (const w of unlikely.words) assert.equal(text.slice(w.range[0], w.range[1]), w.text);
  await rejectsWith(c.sendRequest(UnlikelyWordsRequest, { text, threshold: 2 }), ErrorCodes.InvalidInput, /threshold/);
});

test('tokenize: the EncodedInput fields, aligned, with offsets into both texts', async () => {
  const result = await server.connection.sendRequest(TokenizeRequest, { text: 'Hello world', textB: 'Bye' });
  assert.deepEqual(result.tokens, ['[CLS]', 'hello', 'world', '[SEP]', 'bye', '[SEP]']);
  assert.deepEqual(result.typeIds, [0, 0, 0, 0, 1, 1]);
  assert.deepEqual(result.sequenceIds, [null, 0, 0, null, 1, null]);
  assert.deepEqual(result.offsets[2], [6, 11]);
  assert.deepEqual(result.offsets[4], [0, 3]);
  for (const key of ['ids', 'attentionMask'] as const) assert.equal(result[key].length, 6);
  assert.equal(result.truncated, false);
});

test('attention: compiled from the fixture checkpoint on demand; every row is a distribution', async () => {
  const result = await server.connection.sendRequest(AttentionRequest, { text: 'the cat sat on the mat', maxTokens: 6 });
  assert.equal(result.layers, 2);
  assert.equal(result.heads, 2);
  assert.equal(result.truncated, true);
  assert.deepEqual(result.tokens, ['[CLS]', 'the', 'cat', 'sat', 'on', '[SEP]']);
  assert.equal(result.attentions.length, 2);
  for (const layer of result.attentions) {
    assert.equal(layer.length, 2);
    for (const head of layer) {
      assert.equal(head.length, 6);
      for (const row of head) {
        assert.equal(row.length, 6);
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);
      }
    }
  }
  await rejectsWith(server.connection.sendRequest(AttentionRequest, { text: 'x', maxTokens: 1000 }), ErrorCodes.InvalidInput, /maxTokens/);
});

test('trainHead reports work-done progress, saves the head; listHeads and classify find it', async () => {
  const c = server.connection;
  const dataPath = join(workspace, 'reviews.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    lines.push(JSON.stringify({ text: `what a lovely happy film number ${i}`, label: 'positive' }));
    lines.push(JSON.stringify({ text: `a dull sad boring plot number ${i}`, label: 'negative' }));
  }
  writeFileSync(dataPath, lines.join('\n') + '\n');
  const progress: unknown[] = [];
  const token = 'train-1';
  const subscription = c.onProgress(WorkDoneProgress.type, token, (value) => {
    progress.push(value);
  });
  const result = await c.sendRequest(TrainHeadRequest, { dataPath, name: 'sentiment', workspaceFolder: workspace, folds: 3, workDoneToken: token });
  subscription.dispose();
  assert.equal(result.headPath, join(workspace, '.bert-lens', 'heads', 'sentiment.json'));
  assert.ok(existsSync(result.headPath));
  assert.deepEqual(result.labels, ['negative', 'positive']);
  assert.equal(result.examples, 24);
  assert.ok(result.accuracy !== undefined && result.accuracy >= 0 && result.accuracy <= 1);
  const kinds = progress.map((p) => (p as { kind: string }).kind);
  assert.equal(kinds[0], 'begin');
  assert.equal(kinds.at(-1), 'end');
  assert.ok(kinds.filter((k) => k === 'report').length >= 2, `reports: ${kinds.join(',')}`);

  await rejectsWith(
    c.sendRequest(TrainHeadRequest, { dataPath, name: 'sentiment', workspaceFolder: workspace, folds: 0 }),
    ErrorCodes.InvalidInput,
    /already exists/,
  );
  await rejectsWith(c.sendRequest(TrainHeadRequest, { dataPath, name: '../x', workspaceFolder: workspace }), ErrorCodes.InvalidInput, /name/);

  const heads = await c.sendRequest(ListHeadsRequest, { workspaceFolders: [workspace] });
  assert.deepEqual(heads.map((h) => [h.name, h.source]), [['sentiment', 'workspace']], 'the fixture has no classifier of its own');
  const classified = await c.sendRequest(ClassifyRequest, { text: 'a lovely happy film', head: 'sentiment', workspaceFolders: [workspace] });
  assert.deepEqual(classified.labels.map((l) => l.label).sort(), ['negative', 'positive']);
  assert.ok(Math.abs(classified.labels[0].score + classified.labels[1].score - 1) < 1e-6);
  const byPath = await c.sendRequest(ClassifyRequest, { text: 'a film', head: result.headPath, workspaceFolders: [] });
  assert.equal(byPath.labels.length, 2);
  await rejectsWith(c.sendRequest(ClassifyRequest, { text: 'x', head: 'nope', workspaceFolders: [workspace] }), ErrorCodes.InvalidInput, /No head named "nope".*sentiment/);
  await rejectsWith(c.sendRequest(ClassifyRequest, { text: 'x', head: 'model', workspaceFolders: [] }), ErrorCodes.Unsupported, /no classifier head/);
});

test('$/cancelRequest: a cancelled request fails with RequestCancelled; the server keeps serving', async () => {
  const c = server.connection;
  const text = Array.from({ length: 150 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
  const { CancellationTokenSource } = await import('vscode-languageserver-protocol/node');
  const source = new CancellationTokenSource();
  // Queue a long request first so that the cancelled one is still waiting when the cancel arrives.
  const busy = c.sendRequest(WordProbabilitiesRequest, { text });
  const cancelled = c.sendRequest(UnlikelyWordsRequest, { text }, source.token);
  source.cancel();
  await rejectsWith(cancelled, LSPErrorCodes.RequestCancelled, /cancelled/);
  await busy;

  // A training cancelled while it waits for the model: RequestCancelled, and no head is written.
  const dataPath = join(workspace, 'cancel.jsonl');
  writeFileSync(dataPath, ['a', 'b', 'c', 'd'].flatMap((x) => [`{"text":"good ${x}","label":"pos"}`, `{"text":"bad ${x}","label":"neg"}`]).join('\n'));
  const busyAgain = c.sendRequest(WordProbabilitiesRequest, { text });
  const trainSource = new CancellationTokenSource();
  const training = c.sendRequest(TrainHeadRequest, { dataPath, name: 'cancelled', workspaceFolder: workspace, folds: 0 }, trainSource.token);
  setTimeout(() => trainSource.cancel(), 50);
  await rejectsWith(training, LSPErrorCodes.RequestCancelled, /cancelled/);
  await busyAgain;
  assert.ok(!existsSync(join(workspace, '.bert-lens', 'heads', 'cancelled.json')));
  const status = await c.sendRequest(StatusRequest);
  assert.equal(status.state, 'ready');
  assert.ok(typeof status.lastLatencyMs === 'number' && status.lastLatencyMs > 0);
});

test('attention on a model folder without a checkpoint: a clear Unsupported error', async () => {
  const folder = join(workspace, 'onnx-only-model');
  mkdirSync(folder, { recursive: true });
  for (const file of ['config.json', 'vocab.txt', 'model.onnx']) copyFileSync(join(root, 'test', 'fixtures', 'tiny-bert', file), join(folder, file));
  const other = await startTestServer({ model: folder });
  try {
    await other.ready;
    await rejectsWith(other.connection.sendRequest(AttentionRequest, { text: 'hello there' }), ErrorCodes.Unsupported, /not imported from a checkpoint.*attention maps are not available/);
    const tokens = await other.connection.sendRequest(TokenizeRequest, { text: 'hello there' });
    assert.equal(tokens.tokens.length, 4, 'the server still serves');
  } finally {
    await other.stop();
  }
});
