/**
 * Hub ids, cache paths and checkpoint downloads (src/model/hub) against a real HTTP server on
 * 127.0.0.1 that speaks the Hub's URL scheme and headers and redirects LFS files to a second
 * port standing in for the CDN (test/support/mock-hub.ts). The checkpoint is the tiny-bert
 * fixture's config.json and vocab.txt plus 300 KB of deterministic bytes as model.safetensors.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { assertCacheOutside, defaultCacheRoot } from '../../src/model/hub/cache';
import { downloadCheckpoint, type DownloadProgress } from '../../src/model/hub/download';
import { HubError } from '../../src/model/hub/errors';
import { hubIdFromModelSpec, parseHubId, validateRepoFileName } from '../../src/protocol/hub-id';
import { deterministicBytes, MockHub, type MockRepo, sha256Hex } from '../support/mock-hub';

const FIXTURE = resolve(__dirname, '../../test/fixtures/tiny-bert');
const CONFIG = readFileSync(join(FIXTURE, 'config.json'));
const VOCAB = readFileSync(join(FIXTURE, 'vocab.txt'));
const WEIGHTS = deterministicBytes(300 * 1024, 'tiny-bert weights');
const TOKENIZER_CONFIG = Buffer.from('{"do_lower_case": true}\n');
const TOTAL = CONFIG.length + VOCAB.length + WEIGHTS.length + TOKENIZER_CONFIG.length;
const COMMIT = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';
const PR_COMMIT = 'b'.repeat(40);
const TOKEN = 'hf_test_secret_token';

const TINY: MockRepo = {
  id: 'org/tiny',
  commit: COMMIT,
  revisions: { 'refs/pr/1': PR_COMMIT },
  files: {
    'config.json': { content: CONFIG },
    'vocab.txt': { content: VOCAB },
    'tokenizer_config.json': { content: TOKENIZER_CONFIG },
    'model.safetensors': { content: WEIGHTS, lfs: true },
    // no tokenizer.json, no special_tokens_map.json: optional files answered with 404
  },
};
const SHARDS = [deterministicBytes(70_000, 'shard 1'), deterministicBytes(50_000, 'shard 2')];
const SHARDED: MockRepo = {
  id: 'org/sharded',
  commit: 'c'.repeat(40),
  files: {
    'config.json': { content: CONFIG },
    'vocab.txt': { content: VOCAB },
    'model.safetensors.index.json': {
      content: Buffer.from(
        JSON.stringify({
          metadata: { total_size: 120_000 },
          weight_map: {
            'embeddings.word_embeddings.weight': 'model-00001-of-00002.safetensors',
            'encoder.layer.0.attention.self.query.weight': 'model-00001-of-00002.safetensors',
            'pooler.dense.weight': 'model-00002-of-00002.safetensors',
          },
        }),
      ),
    },
    'model-00001-of-00002.safetensors': { content: SHARDS[0], lfs: true },
    'model-00002-of-00002.safetensors': { content: SHARDS[1], lfs: true },
  },
};
const PRIVATE: MockRepo = { ...TINY, id: 'org/private', token: TOKEN };
const PICKLED: MockRepo = {
  id: 'org/pickled',
  commit: 'd'.repeat(40),
  files: { 'config.json': { content: CONFIG }, 'vocab.txt': { content: VOCAB }, 'pytorch_model.bin': { content: WEIGHTS, lfs: true } },
};

/** Every file below `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function rejectsWith(promise: Promise<unknown>, kind: HubError['kind'], message: RegExp): Promise<HubError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected a ${kind} error`),
    (error) => {
      caught = error;
    },
  );
  assert.ok(caught instanceof HubError, `expected HubError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  assert.match(caught.message, message);
  return caught;
}

describe('Hub ids and file names', () => {
  test('org/name with optional revision; bare names only when asked', () => {
    assert.deepEqual(parseHubId('google-bert/bert-base-uncased'), {
      owner: 'google-bert',
      name: 'bert-base-uncased',
      revision: 'main',
      explicitRevision: false,
    });
    assert.equal(parseHubId('org/name@v1.0').revision, 'v1.0');
    assert.equal(parseHubId('org/name@refs/pr/1').revision, 'refs/pr/1');
    assert.equal(parseHubId(`org/name@${COMMIT}`).revision, COMMIT);
    assert.deepEqual(parseHubId('hf:bert-base-uncased@main'), { name: 'bert-base-uncased', revision: 'main', explicitRevision: true });
    assert.equal(parseHubId('bert-base-chinese', { allowBareName: true }).name, 'bert-base-chinese');
    assert.throws(() => parseHubId('bert-base-uncased'), /hf:bert-base-uncased/);
  });

  test('rejects traversal, separators, encoding tricks and bad revisions', () => {
    for (const bad of [
      '../x',
      'org/..',
      'org/../x',
      'org/name/extra',
      'org\\name',
      'org/%2e%2e',
      'org/name%2F..',
      '/abs/path',
      'org/.hidden',
      'org/-x',
      'org--a/name',
      'org/na me',
      'org/name@',
      'org/name@../../etc',
      'org/name@/abs',
      'org/name@a..b',
      'org/name@a\\b',
      'org/name@%2e%2e',
      'org/name@refs//x',
      'org/name@.git',
      'hf:..',
    ]) {
      assert.throws(() => parseHubId(bad, { allowBareName: true }), /Invalid|not an org/, bad);
    }
  });

  test('model specs: folders and bare names are not Hub ids, org/name and hf: are', () => {
    assert.equal(hubIdFromModelSpec('./models/x'), undefined);
    assert.equal(hubIdFromModelSpec('/opt/models/x'), undefined);
    assert.equal(hubIdFromModelSpec('C:\\models\\x'), undefined);
    assert.equal(hubIdFromModelSpec('~/models/x'), undefined);
    assert.equal(hubIdFromModelSpec('tiny-random'), undefined);
    assert.equal(hubIdFromModelSpec('models/a/b'), undefined);
    assert.equal(hubIdFromModelSpec('org/name@v2')?.revision, 'v2');
    assert.equal(hubIdFromModelSpec('hf:bert-base-uncased')?.name, 'bert-base-uncased');
    assert.throws(() => hubIdFromModelSpec('org/na%2Fme'), /Invalid Hub id/);
  });

  test('repository file names stay relative and plain', () => {
    for (const good of ['config.json', 'model-00001-of-00002.safetensors', 'onnx/model.onnx']) validateRepoFileName(good);
    for (const bad of ['', '../x', 'a/../b', '/etc/passwd', 'a\\b', '%2e%2e/x', '.env', 'a//b', 'C:x', 'a/./b', 'x\u0000y']) {
      assert.throws(() => validateRepoFileName(bad), /Refusing file name/, JSON.stringify(bad));
    }
  });

  test('default cache folder per platform, never relative; workspace folders refused', () => {
    assert.equal(defaultCacheRoot({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/u'), join('/xdg', 'bert-lens'));
    assert.equal(defaultCacheRoot({ XDG_CACHE_HOME: 'relative' }, 'linux', '/home/u'), join('/home/u', '.cache', 'bert-lens'));
    assert.equal(defaultCacheRoot({}, 'darwin', '/Users/u'), join('/Users/u', 'Library', 'Caches', 'bert-lens'));
    assert.equal(defaultCacheRoot({ LOCALAPPDATA: '/appdata' }, 'win32', '/u'), join('/appdata', 'bert-lens'));
    assert.equal(defaultCacheRoot({ BERT_LENS_CACHE: '/elsewhere' }, 'linux', '/home/u'), '/elsewhere');
    assert.throws(() => assertCacheOutside('/work/project/.cache', ['/work/project']), /outside the workspace/);
    assertCacheOutside('/home/u/.cache/bert-lens/hub', ['/work/project']);
  });
});

describe('downloadCheckpoint against a mock Hub on 127.0.0.1', { timeout: 30_000 }, () => {
  let hub: MockHub;
  let scratch: string;
  let cacheDir: string;
  const savedToken = process.env.HF_TOKEN;

  before(async () => {
    delete process.env.HF_TOKEN;
    delete process.env.HF_HUB_OFFLINE;
    hub = await MockHub.start([TINY, SHARDED, PRIVATE, PICKLED]);
    hub.aliases.set('tiny-legacy', 'org/tiny');
  });
  after(async () => {
    await hub.close();
    if (savedToken !== undefined) process.env.HF_TOKEN = savedToken;
  });
  beforeEach(() => {
    hub.faults = {};
    hub.requests.length = 0;
    scratch = mkdtempSync(join(tmpdir(), 'bert-lens-hub-'));
    cacheDir = join(scratch, 'cache');
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  const download = (id: string, options: Parameters<typeof downloadCheckpoint>[1] = {}) =>
    downloadCheckpoint(id, { endpoint: hub.endpoint, cacheDir, retries: 2, timeoutMs: 5_000, ...options });

  test('full download: files, layout, ref, manifest; missing optional files tolerated', async () => {
    const result = await download('org/tiny');
    assert.equal(result.commit, COMMIT);
    assert.equal(result.folder, join(cacheDir, 'models--org--tiny', 'snapshots', COMMIT));
    assert.deepEqual(result.files, ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json']);
    assert.equal(result.fromCache, false);
    assert.equal(result.offlineReason, undefined);
    assert.deepEqual(result.sha256, { 'model.safetensors': sha256Hex(WEIGHTS) });
    assert.ok(readFileSync(join(result.folder, 'config.json')).equals(CONFIG));
    assert.ok(readFileSync(join(result.folder, 'vocab.txt')).equals(VOCAB));
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
    assert.equal(readFileSync(join(cacheDir, 'models--org--tiny', 'refs', 'main'), 'utf8'), COMMIT);
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'models--org--tiny', 'manifests', `${COMMIT}.json`), 'utf8'));
    assert.equal(manifest.files.find((f: { name: string }) => f.name === 'model.safetensors').sha256, sha256Hex(WEIGHTS));
    assert.equal(result.bytesDownloaded, TOTAL);
    assert.ok(listFiles(cacheDir).every((file) => !file.endsWith('.part') && !file.endsWith('.tmp')));
    // The optional files were asked for and answered 404, and every later request was pinned to the commit.
    assert.equal(hub.requestsTo('hub', 'tokenizer.json')[0]?.status, 404);
    assert.equal(hub.requestsTo('hub', 'special_tokens_map.json')[0]?.status, 404);
    assert.ok(hub.requestsTo('hub', 'vocab.txt').every((r) => r.path.includes(`/resolve/${COMMIT}/`)));

    // Again, online: nothing is transferred, nothing downloaded by GET.
    hub.requests.length = 0;
    const again = await download('org/tiny');
    assert.equal(again.fromCache, true);
    assert.equal(again.bytesDownloaded, 0);
    assert.equal(hub.requests.filter((r) => r.method === 'GET').length, 0);
  });

  test('progress is monotonic and ends at the total', async () => {
    const events: DownloadProgress[] = [];
    await download('org/tiny', { onProgress: (p) => events.push(p) });
    const total = TOTAL;
    assert.ok(events.length > 4);
    assert.ok(events.every((e) => e.total === total));
    for (let i = 1; i < events.length; i++) {
      assert.ok(events[i].bytes >= events[i - 1].bytes, `bytes went back at event ${i}`);
      if (events[i].file === events[i - 1].file) assert.ok(events[i].fileBytes >= events[i - 1].fileBytes);
    }
    assert.equal(events.at(-1)!.bytes, total);
    const weights = events.filter((e) => e.file === 'model.safetensors');
    assert.ok(weights.length >= 2, 'several progress events for the 300 KB file');
    assert.equal(weights.at(-1)!.fileBytes, WEIGHTS.length);
    assert.equal(weights.at(-1)!.fileTotal, WEIGHTS.length);
  });

  test('a transfer cut in the middle resumes with a Range request', async () => {
    hub.faults.cut = { afterBytes: 100_000, times: 1 };
    const result = await download('org/tiny');
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
    const gets = hub.requestsTo('cdn', '/blobs/').filter((r) => r.method === 'GET');
    assert.equal(gets.length, 2);
    assert.equal(gets[0].headers.range, undefined);
    const start = Number(/^bytes=(\d+)-$/.exec(gets[1].headers.range ?? '')?.[1]);
    assert.ok(start > 0 && start <= 100_000, `resumed from ${gets[1].headers.range}`);
    assert.equal(gets[1].status, 206);
    // No byte came twice.
    assert.equal(result.bytesDownloaded, TOTAL);
  });

  test('a cut with no retries leaves a .part that the next call resumes', async () => {
    hub.faults.cut = { afterBytes: 120_000, times: 1 };
    await rejectsWith(download('org/tiny', { retries: 0 }), 'network', new RegExp(`connection to ${hub.cdnOrigin} broke while downloading model.safetensors`));
    const parts = listFiles(cacheDir).filter((file) => file.endsWith('.part'));
    assert.deepEqual(parts, [join('models--org--tiny', 'blobs', `${sha256Hex(WEIGHTS)}.part`)]);
    const partSize = statSync(join(cacheDir, parts[0])).size;
    assert.ok(partSize > 0 && partSize <= 120_000);

    const result = await download('org/tiny');
    const gets = hub.requestsTo('cdn', '/blobs/').filter((r) => r.method === 'GET');
    assert.equal(gets.at(-1)!.headers.range, `bytes=${partSize}-`);
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
    assert.equal(listFiles(cacheDir).filter((file) => file.endsWith('.part')).length, 0);
  });

  test('a server that ignores Range (200) restarts the file', async () => {
    hub.faults.cut = { afterBytes: 90_000, times: 1 };
    hub.faults.ignoreRange = true;
    const result = await download('org/tiny');
    const gets = hub.requestsTo('cdn', '/blobs/').filter((r) => r.method === 'GET');
    assert.equal(gets.length, 2);
    assert.match(gets[1].headers.range ?? '', /^bytes=\d+-$/);
    assert.equal(gets[1].status, 200);
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
  });

  test('a stale partial longer than the file (416) is dropped and the file fetched again', async () => {
    hub.faults.omitLinkedSize = true;
    const blobs = join(cacheDir, 'models--org--tiny', 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256Hex(WEIGHTS)}.part`), Buffer.alloc(WEIGHTS.length + 10, 1));
    const result = await download('org/tiny');
    const gets = hub.requestsTo('cdn', '/blobs/').filter((r) => r.method === 'GET');
    assert.deepEqual(
      gets.map((r) => [r.headers.range, r.status]),
      [
        [`bytes=${WEIGHTS.length + 10}-`, 416],
        [undefined, 200],
      ],
    );
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
  });

  test('checksum mismatch is rejected and nothing is left in the cache', async () => {
    hub.faults.corrupt = true;
    await rejectsWith(download('org/tiny'), 'checksum', /model\.safetensors is corrupt \(sha256 [0-9a-f]{64} instead of/);
    assert.deepEqual(listFiles(cacheDir), []);
    // And with a cut first (a .part exists when the bad bytes arrive): still nothing left.
    hub.faults.cut = { afterBytes: 50_000, times: 1 };
    await rejectsWith(download('org/tiny'), 'checksum', /corrupt/);
    assert.deepEqual(listFiles(cacheDir), []);
  });

  test('401 without a token names the token setting; a wrong token is refused; the right one works', async () => {
    const anonymous = await rejectsWith(download('org/private'), 'unauthorized', /no token was sent.*HF_TOKEN/);
    assert.equal(anonymous.status, 401);
    await rejectsWith(
      download('org/private', { tokenHint: 'set bertLens.hub.token' }),
      'unauthorized',
      /set bertLens\.hub\.token/,
    );
    await rejectsWith(download('org/private', { token: 'hf_wrong' }), 'unauthorized', /refused the token/);
    assert.deepEqual(listFiles(cacheDir), []);

    const result = await download('org/private', { token: TOKEN });
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
  });

  test('HF_TOKEN is used; Authorization goes to the Hub host, never to the CDN host', async () => {
    process.env.HF_TOKEN = TOKEN;
    try {
      await download('org/private');
    } finally {
      delete process.env.HF_TOKEN;
    }
    const hubHost = new URL(hub.endpoint).host;
    const cdnHost = new URL(hub.cdnOrigin).host;
    assert.notEqual(hubHost, cdnHost);
    const hubRequests = hub.requestsTo('hub');
    const cdnRequests = hub.requestsTo('cdn');
    assert.ok(hubRequests.length > 0 && cdnRequests.length > 0);
    assert.ok(hubRequests.every((r) => r.headers.authorization === `Bearer ${TOKEN}` && r.headers.host === hubHost));
    assert.ok(cdnRequests.every((r) => r.headers.authorization === undefined && r.headers.host === cdnHost));
  });

  test('404: unknown model, unknown revision', async () => {
    await rejectsWith(download('nobody/nothing'), 'not-found', /Model nobody\/nothing not found at http:\/\/127\.0\.0\.1/);
    await rejectsWith(download('org/tiny@no-such-branch'), 'not-found', /Revision "no-such-branch" not found/);
    assert.deepEqual(listFiles(cacheDir), []);
  });

  test('pickled-only checkpoints are refused without downloading the .bin', async () => {
    await rejectsWith(download('org/pickled'), 'not-found', /only pickled PyTorch weights/);
    assert.equal(hub.requests.filter((r) => r.path.includes('pytorch_model.bin') && r.method === 'GET').length, 0);
  });

  test('a sharded checkpoint: index and every shard', async () => {
    const result = await download('org/sharded');
    assert.deepEqual(result.files, [
      'config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'vocab.txt',
    ]);
    assert.ok(readFileSync(join(result.folder, 'model-00001-of-00002.safetensors')).equals(SHARDS[0]));
    assert.ok(readFileSync(join(result.folder, 'model-00002-of-00002.safetensors')).equals(SHARDS[1]));
  });

  test('path traversal in a sharded index is rejected before any request for it', async () => {
    const index = SHARDED.files['model.safetensors.index.json'];
    const original = index.content;
    try {
      for (const evil of ['../../evil.safetensors', 'sub/../../evil.safetensors', '/tmp/evil.safetensors', 'sub\\..\\evil.safetensors', '%2e%2e/evil.safetensors', '.evil.safetensors']) {
        index.content = Buffer.from(JSON.stringify({ weight_map: { 'pooler.dense.weight': evil } }));
        hub.requests.length = 0;
        await rejectsWith(download('org/sharded'), 'invalid', /Refusing file name/);
        assert.equal(hub.requests.filter((r) => /evil/.test(decodeURIComponent(r.path))).length, 0, evil);
      }
    } finally {
      index.content = original;
    }
    assert.deepEqual(readdirSync(scratch), ['cache']);
    assert.ok(listFiles(cacheDir).every((file) => file.startsWith('models--org--sharded')));
  });

  test('server down: a network error naming the endpoint', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((done) => server.close(() => done()));
    const error = await rejectsWith(
      download('org/tiny', { endpoint }),
      'network',
      new RegExp(`Cannot reach ${endpoint} \\(ECONNREFUSED\\).*no complete copy`),
    );
    assert.equal(error.name, 'HubError');
  });

  test('a Hub that never answers times out with a network error', async () => {
    hub.faults.stall = true;
    await rejectsWith(download('org/tiny', { timeoutMs: 300 }), 'network', /No answer from http:\/\/127\.0\.0\.1:\d+ within .*timeout/);
  });

  test('offline: a complete cached snapshot is used when the Hub cannot be reached, or in offline mode', async () => {
    const online = await download('org/tiny');
    const downEndpoint = 'http://127.0.0.1:9'; // discard port: nothing listens
    const offline = await download('org/tiny', { endpoint: downEndpoint });
    assert.equal(offline.fromCache, true);
    assert.match(offline.offlineReason ?? '', /Cannot reach http:\/\/127\.0\.0\.1:9/);
    assert.equal(offline.folder, online.folder);
    assert.deepEqual(offline.files, online.files);
    assert.deepEqual(offline.sha256, online.sha256);

    hub.requests.length = 0;
    const forced = await download('org/tiny', { offline: true });
    assert.equal(forced.offlineReason, 'offline mode');
    const pinned = await download(`org/tiny@${COMMIT}`);
    assert.equal(pinned.fromCache, true);
    assert.equal(hub.requests.length, 0, 'no request for offline mode or a cached commit hash');

    // A snapshot with a file missing is not complete: no offline use.
    rmSync(join(online.folder, 'vocab.txt'));
    await rejectsWith(download('org/tiny', { endpoint: downEndpoint }), 'network', /holds no complete copy/);
    await rejectsWith(download('org/tiny', { offline: true }), 'network', /Offline mode, and the cache .* holds no complete copy/);
  });

  test('revision names with "/" are URL-encoded and get their own ref', async () => {
    const result = await download('org/tiny', { revision: 'refs/pr/1' });
    assert.equal(result.commit, PR_COMMIT);
    // Only the first request names the branch; everything after is pinned to its commit.
    assert.deepEqual(
      hub.requestsTo('hub', '/resolve/refs%2Fpr%2F1/').map((r) => `${r.method} ${r.path}`),
      ['HEAD /org/tiny/resolve/refs%2Fpr%2F1/config.json'],
    );
    assert.equal(hub.requestsTo('hub', `/resolve/${PR_COMMIT}/config.json`).filter((r) => r.method === 'GET').length, 1);
    assert.equal(readFileSync(join(cacheDir, 'models--org--tiny', 'refs', 'refs%2Fpr%2F1'), 'utf8'), PR_COMMIT);
    await rejectsWith(download('org/tiny@main', { revision: 'v2' }), 'invalid', /Two revisions/);
  });

  test('a bare legacy id follows the Hub\'s same-host rename redirect', async () => {
    const result = await download('tiny-legacy');
    assert.equal(result.folder, join(cacheDir, 'models--tiny-legacy', 'snapshots', COMMIT));
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
    assert.equal(hub.requestsTo('hub', '/tiny-legacy/resolve/main/config.json')[0]?.status, 307);
  });

  test('cancellation with an AbortSignal keeps the .part for a later resume', async () => {
    const controller = new AbortController();
    const error = await rejectsWith(
      download('org/tiny', {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.file === 'model.safetensors' && p.fileBytes > 0) controller.abort();
        },
      }),
      'aborted',
      /cancelled/,
    );
    assert.equal(error.name, 'AbortError');
    const part = join(cacheDir, 'models--org--tiny', 'blobs', `${sha256Hex(WEIGHTS)}.part`);
    assert.ok(existsSync(part));
    const result = await download('org/tiny');
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
  });

  test('two downloads of one model at once (two windows, or the extension and the CLI): one transfer, both complete', async () => {
    hub.faults.slow = { chunkBytes: 16 * 1024, delayMs: 5 };
    const progress: number[] = [];
    const [a, b] = await Promise.all([
      download('org/tiny'),
      download('org/tiny', { onProgress: (p) => p.file === 'model.safetensors' && progress.push(p.fileBytes) }),
    ]);
    assert.equal(a.folder, b.folder);
    assert.ok(readFileSync(join(a.folder, 'model.safetensors')).equals(WEIGHTS));
    const gets = hub.requestsTo('cdn', '/blobs/').filter((r) => r.method === 'GET');
    assert.equal(gets.length, 1, 'the weights came over the network once');
    assert.equal(a.bytesDownloaded + b.bytesDownloaded, TOTAL, 'every file was transferred by one of the two');
    assert.equal(progress.at(-1), WEIGHTS.length);
    assert.deepEqual(listFiles(cacheDir).filter((file) => /\.(part|lock)$/.test(file)), []);
  });

  test('a lock left by a process that is gone is taken over', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const blobs = join(cacheDir, 'models--org--tiny', 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256Hex(WEIGHTS)}.part.lock`), JSON.stringify({ pid: gone, host: hostname() }));
    const result = await download('org/tiny');
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
    assert.deepEqual(listFiles(cacheDir).filter((file) => /\.(part|lock)$/.test(file)), []);
  });

  test('a live holder is waited for; a cancel while waiting is honoured and leaves its lock alone', async () => {
    const blobs = join(cacheDir, 'models--org--tiny', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const lock = join(blobs, `${sha256Hex(WEIGHTS)}.part.lock`);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    await rejectsWith(download('org/tiny', { signal: controller.signal }), 'aborted', /cancelled/);
    assert.ok(existsSync(lock), "the holder's lock is still there");
    assert.equal(hub.requestsTo('cdn', '/blobs/').filter((r) => r.method === 'GET').length, 0, 'nothing fetched while locked');

    // The holder finishes (the lock goes away): the waiter goes on.
    setTimeout(() => rmSync(lock), 300);
    const result = await download('org/tiny');
    assert.ok(readFileSync(join(result.folder, 'model.safetensors')).equals(WEIGHTS));
  });

  test('disk full (ENOSPC) is reported and the partial removed', { skip: process.platform !== 'linux' || !existsSync('/dev/full') }, async () => {
    // The weights' .part is a link to /dev/full, where every write fails with ENOSPC.
    const blobs = join(cacheDir, 'models--org--tiny', 'blobs');
    mkdirSync(blobs, { recursive: true });
    symlinkSync('/dev/full', join(blobs, `${sha256Hex(WEIGHTS)}.part`));
    await rejectsWith(download('org/tiny'), 'disk-full', /disk holding the model cache is full/);
    assert.ok(!existsSync(join(blobs, `${sha256Hex(WEIGHTS)}.part`)));
  });
});
