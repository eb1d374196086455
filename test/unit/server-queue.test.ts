// The server's model queue on the real fixture model: one run at a time, interactive before
// background, compatible jobs batched, superseded / cancelled / stale jobs dropped with the LSP
// error codes; and the pure helpers: word under a cursor, Markdown code ranges, settings merge.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { CancellationTokenSource, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { fillMaskSettled, loadModel, type BertModel } from '../../src/engine';
import { DEFAULT_SETTINGS } from '../../src/protocol';
import { ModelQueue } from '../../src/server/queue';
import { mergeSettings } from '../../src/server/settings';
import { insideRanges, markdownCodeRanges, wordAt } from '../../src/server/text-regions';

let model: BertModel;
before(async () => {
  model = await loadModel(join(__dirname, '..', '..', 'test', 'fixtures', 'tiny-bert'), { executionProvider: 'cpu' });
});

const codeOf = (error: unknown) => (error as ResponseError<void>).code;

test('jobs run one at a time, interactive before background, in arrival order otherwise', async () => {
  const queue = new ModelQueue(async () => model);
  const order: string[] = [];
  let running = 0;
  const job = (name: string) => async (m: BertModel) => {
    running++;
    assert.equal(running, 1, 'never two runs at once');
    await fillMaskSettled(m, ['a [MASK] b']);
    order.push(name);
    running--;
    return name;
  };
  const all = [
    queue.run({ label: 'b1', priority: 'background' }, job('b1')),
    queue.run({ label: 'b2', priority: 'background' }, job('b2')),
    queue.run({ label: 'i1' }, job('i1')),
    queue.run({ label: 'i2' }, job('i2')),
  ];
  assert.deepEqual(await Promise.all(all), ['b1', 'b2', 'i1', 'i2']);
  // b1 had started before the others arrived; then the interactive ones overtake b2.
  assert.deepEqual(order, ['b1', 'i1', 'i2', 'b2']);
});

test('waiting jobs of one batch key run as one batch, each with its own result or error', async () => {
  const queue = new ModelQueue(async () => model);
  const sizes: number[] = [];
  const runBatch = async (m: BertModel, texts: string[]) => {
    sizes.push(texts.length);
    const outcomes = await fillMaskSettled(m, texts, { topK: 2 });
    return outcomes.map((o) => (o.ok ? { ok: true as const, value: o.result } : { ok: false as const, error: o.error }));
  };
  const blocker = queue.run({ label: 'blocker' }, (m) => fillMaskSettled(m, ['x [MASK]']));
  const texts = ['the [MASK] sat', 'a [MASK] ran', 'no mask here', 'one [MASK] two [MASK]'];
  const results = await Promise.allSettled(texts.map((text) => queue.batch('fill', text, { label: 'fill' }, runBatch)));
  await blocker;
  assert.deepEqual(sizes, [4]);
  assert.equal(queue.stats.batches, 1);
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value.masks.length : 'error')),
    [1, 1, 'error', 2],
  );
  const alone = await fillMaskSettled(model, ['one [MASK] two [MASK]'], { topK: 2 });
  assert.deepEqual((results[3] as PromiseFulfilledResult<{ masks: unknown }>).value.masks, alone[0].ok && alone[0].result.masks, 'batched = alone');
});

test('superseded, cancelled and stale jobs are dropped before they run, with LSP error codes', async () => {
  const queue = new ModelQueue(async () => model);
  let ran = 0;
  const work = async (m: BertModel) => {
    ran++;
    await fillMaskSettled(m, ['a [MASK]']);
    return ran;
  };
  const blocker = queue.run({ label: 'blocker' }, work);
  const first = queue.run({ label: 'hover 1', supersedeKey: 'hover a' }, work);
  const second = queue.run({ label: 'hover 2', supersedeKey: 'hover a' }, work);
  const source = new CancellationTokenSource();
  const cancelled = queue.run({ label: 'cancelled', token: source.token }, work);
  source.cancel();
  let version = 1;
  const stale = queue.run({ label: 'stale', isStale: () => version !== 1 }, work);
  version = 2;
  await assert.rejects(first, (e) => codeOf(e) === LSPErrorCodes.RequestCancelled);
  await assert.rejects(cancelled, (e) => codeOf(e) === LSPErrorCodes.RequestCancelled);
  await assert.rejects(stale, (e) => codeOf(e) === LSPErrorCodes.ContentModified);
  await blocker;
  assert.equal(await second, 2);
  assert.equal(ran, 2, 'only the blocker and the newest hover ran');
  assert.deepEqual([queue.stats.superseded, queue.stats.cancelled, queue.stats.stale], [1, 1, 1]);

  // A job that goes stale while it runs has its result dropped.
  let changing = 1;
  const during = queue.run({ label: 'during', isStale: () => changing !== 1 }, async (m) => {
    changing = 2;
    return work(m);
  });
  await assert.rejects(during, (e) => codeOf(e) === LSPErrorCodes.ContentModified);
  // A model that fails to load fails each job with its error.
  const broken = new ModelQueue(async () => {
    throw new Error('no model here');
  });
  await assert.rejects(broken.run({ label: 'x' }, work), /no model here/);
});

test('wordAt: letters, digits and marks; CJK one character; nothing over space or punctuation', () => {
  const text = 'Héllo, wörld 42x! 中文 end';
  assert.deepEqual(wordAt(text, 0), [0, 5]);
  assert.deepEqual(wordAt(text, 3), [0, 5]);
  assert.equal(wordAt(text, 5), undefined, 'the comma');
  assert.deepEqual(wordAt(text, 5, true), [0, 5], 'a caret right after the word');
  assert.deepEqual(wordAt(text, 8), [7, 12]);
  assert.deepEqual(wordAt(text, 14), [13, 16]);
  assert.deepEqual(wordAt(text, 19), [19, 20]);
  assert.deepEqual(wordAt(text, 18), [18, 19]);
  assert.equal(wordAt(text, 12), undefined);
  assert.deepEqual(wordAt('e\u0301t\u00e9', 0), [0, 4], 'combining marks stay in the word');
});

test('markdownCodeRanges: fences, inline code, front matter; prose stays outside', () => {
  const text = '---\ntitle: x\n---\nSome `code` here.\n\n```js\nconst a = 1;\n```\nAfter ~~~ text.\n\n~~~~\nunclosed';
  const ranges = markdownCodeRanges(text);
  const inside = (needle: string) => insideRanges(ranges, text.indexOf(needle));
  assert.ok(inside('title'));
  assert.ok(inside('code'));
  assert.ok(inside('const'));
  assert.ok(inside('unclosed'));
  assert.ok(!inside('Some'));
  assert.ok(!inside('here'));
  assert.ok(!inside('After'));
  const big = 'word '.repeat(2_000_000);
  const started = performance.now();
  assert.deepEqual(markdownCodeRanges(big), []);
  assert.ok(performance.now() - started < 2000, 'linear on 10 MB');
});

test('mergeSettings: partial and wrong settings fall back to the defaults field by field', () => {
  const merged = mergeSettings({
    topK: 500,
    languages: ['markdown', 3],
    hover: { enabled: false },
    diagnostics: { enabled: true, severity: 'warning', weakTransitionSeverity: 'error', maxPerFile: -4, debounceMs: 'soon' },
  });
  assert.equal(merged.topK, 50);
  assert.deepEqual(merged.languages, ['markdown']);
  assert.equal(merged.hover.enabled, false);
  assert.equal(merged.diagnostics.enabled, true);
  assert.equal(merged.diagnostics.unlikelyWordSeverity, 'warning', 'the single severity setting applies');
  assert.equal(merged.diagnostics.weakTransitionSeverity, 'error', 'the per-kind one wins');
  assert.equal(merged.diagnostics.maxPerFile, 0);
  assert.equal(merged.diagnostics.debounceMs, DEFAULT_SETTINGS.diagnostics.debounceMs);
  assert.deepEqual(mergeSettings(undefined), mergeSettings({}));
});
