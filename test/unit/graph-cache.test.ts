/**
 * The compiled-graph cache (src/model/hub/graph-cache.ts): keys from checkpoint content +
 * compiler version + options, compile once then hit, atomic entries, failures leaving nothing.
 * The "compiler" here writes real files into the folder it is given.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { checkpointFiles, checkpointHash, GraphCache, graphCacheKey } from '../../src/model/hub/graph-cache';

const FIXTURE = resolve(__dirname, '../../test/fixtures/tiny-bert');

describe('compiled-graph cache', () => {
  let scratch: string;
  let checkpoint: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'bert-lens-graphs-'));
    checkpoint = join(scratch, 'checkpoint');
    mkdirSync(checkpoint);
    copyFileSync(join(FIXTURE, 'config.json'), join(checkpoint, 'config.json'));
    copyFileSync(join(FIXTURE, 'vocab.txt'), join(checkpoint, 'vocab.txt'));
    writeFileSync(join(checkpoint, 'model.safetensors'), Buffer.alloc(4096, 7));
    writeFileSync(join(checkpoint, 'notes.md'), 'not part of the checkpoint');
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  test('checkpoint files and hash: content-sensitive, ignores unrelated files, honours known hashes', async () => {
    assert.deepEqual(await checkpointFiles(checkpoint), ['config.json', 'model.safetensors', 'vocab.txt']);
    const first = await checkpointHash(checkpoint);
    writeFileSync(join(checkpoint, 'notes.md'), 'changed');
    assert.equal(await checkpointHash(checkpoint), first);
    const weights = Buffer.alloc(4096, 7);
    weights[100] = 8;
    writeFileSync(join(checkpoint, 'model.safetensors'), weights);
    const second = await checkpointHash(checkpoint);
    assert.notEqual(second, first);
    const known = new Map([['model.safetensors', createHash('sha256').update(weights).digest('hex')]]);
    assert.equal(await checkpointHash(checkpoint, undefined, known), second);
  });

  test('keys: option order does not matter; version, options and checkpoint do', () => {
    const base = { checkpointHash: 'a'.repeat(64), compilerVersion: '1', options: { quantize: 'int8', fused: true } };
    const key = graphCacheKey(base);
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(graphCacheKey({ ...base, options: { fused: true, quantize: 'int8' } }), key);
    assert.notEqual(graphCacheKey({ ...base, compilerVersion: '2' }), key);
    assert.notEqual(graphCacheKey({ ...base, options: { quantize: 'none', fused: true } }), key);
    assert.notEqual(graphCacheKey({ ...base, checkpointHash: 'b'.repeat(64) }), key);
  });

  test('compiles once, then hits; reports time and size; a damaged entry is rebuilt', async () => {
    const cache = new GraphCache(join(scratch, 'graphs'));
    const key = graphCacheKey({ checkpointHash: await checkpointHash(checkpoint), compilerVersion: '1', options: {} });
    let compiles = 0;
    const compile = async (out: string) => {
      compiles++;
      writeFileSync(join(out, 'model.onnx'), Buffer.alloc(1000, 1));
      writeFileSync(join(out, 'config.json'), '{}');
    };
    const made = await cache.getOrCompile(key, compile);
    assert.equal(made.hit, false);
    assert.deepEqual(made.files, ['config.json', 'model.onnx']);
    assert.equal(made.bytes, 1002);
    assert.ok(made.compileMs >= 0);
    const hit = await cache.getOrCompile(key, compile);
    assert.equal(hit.hit, true);
    assert.equal(hit.folder, made.folder);
    assert.equal(compiles, 1);
    assert.ok(readFileSync(join(hit.folder, 'model.onnx')).equals(Buffer.alloc(1000, 1)));

    writeFileSync(join(made.folder, 'model.onnx'), 'truncated');
    assert.equal(await cache.lookup(key), undefined);
    const rebuilt = await cache.getOrCompile(key, compile);
    assert.equal(rebuilt.hit, false);
    assert.equal(compiles, 2);
    assert.deepEqual(readdirSync(join(scratch, 'graphs')), [key]);
  });

  test('a failed compile leaves nothing; concurrent compiles of one key agree', async () => {
    const cache = new GraphCache(join(scratch, 'graphs'));
    const key = graphCacheKey({ checkpointHash: 'c'.repeat(64), compilerVersion: '1', options: {} });
    await assert.rejects(
      cache.getOrCompile(key, async (out) => {
        writeFileSync(join(out, 'model.onnx'), 'partial');
        throw new Error('compiler failed');
      }),
      /compiler failed/,
    );
    assert.deepEqual(readdirSync(join(scratch, 'graphs')), []);
    const write = (byte: number) => async (out: string) => writeFileSync(join(out, 'model.onnx'), Buffer.alloc(64, byte));
    const [a, b] = await Promise.all([cache.getOrCompile(key, write(1)), cache.getOrCompile(key, write(2))]);
    assert.equal(a.folder, b.folder);
    assert.deepEqual(readdirSync(join(scratch, 'graphs')), [key]);
    assert.ok(existsSync(join(a.folder, 'meta.json')));
    assert.throws(() => cache.folderOf('../escape'), /Invalid graph cache key/);
  });
});
