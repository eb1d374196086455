/**
 * A real HTTP server on 127.0.0.1 standing in for the Hugging Face Hub in tests, plus a second
 * server on another port standing in for the CDN that large (LFS) files are redirected to.
 *
 * Hub: `GET|HEAD /{org}/{name}/resolve/{revision}/{file}` (revision URL-encoded), answering as
 * the Hub does: small files 200 with `ETag: "<git blob sha1>"`; LFS files 302 to the CDN with
 * `X-Linked-Etag: "<sha256>"`, `X-Linked-Size`; `X-Repo-Commit` on every answer; 401 without
 * the right token for private repos; 404 with `X-Error-Code` RepoNotFound / RevisionNotFound /
 * EntryNotFound; 307 (relative) for renamed repositories (`aliases`).
 * CDN: `GET|HEAD /blobs/{sha256}` with `Accept-Ranges: bytes`, 206 / 416 for Range requests.
 * Faults: cut a transfer after N bytes, send slowly, corrupt LFS bytes, ignore Range, stall (never answer),
 * leave out X-Linked-Size.
 * Every request is recorded (server, method, path, headers, status) for assertions.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockFile {
  content: Buffer;
  /** Served through the CDN redirect with LFS headers. */
  lfs?: boolean;
}

export interface MockRepo {
  /** `org/name`. */
  id: string;
  /** Commit `main` points to (40 hex digits). */
  commit: string;
  /** Other branch / tag names → commit. Every known commit serves the same `files`. */
  revisions?: Record<string, string>;
  files: Record<string, MockFile>;
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
}

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Status sent (undefined while unanswered / stalled). */
  status?: number;
}

export interface MockFaults {
  /** Cut the connection after `afterBytes` body bytes on the next `times` CDN GETs. */
  cut?: { afterBytes: number; times: number };
  /** Serve LFS bytes with one byte changed; the headers still announce the true hash. */
  corrupt?: boolean;
  /** Ignore Range headers on the CDN: always 200 with the whole file. */
  ignoreRange?: boolean;
  /** The Hub never answers (for timeouts). */
  stall?: boolean;
  /** Leave out X-Linked-Size on LFS redirects (the client then cannot know the size in advance). */
  omitLinkedSize?: boolean;
  /** Send CDN bodies `chunkBytes` at a time, `delayMs` apart (transfers that overlap). */
  slow?: { chunkBytes: number; delayMs: number };
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** `size` deterministic pseudo-random bytes (sha256 in counter mode over `seed`). */
export function deterministicBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0, block = 0; offset < size; block++) {
    offset += createHash('sha256').update(`${seed}:${block}`).digest().copy(out, offset);
  }
  return out;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export class MockHub {
  readonly requests: RecordedRequest[] = [];
  faults: MockFaults = {};
  readonly repos = new Map<string, MockRepo>();
  /** Old repository id → current id (answered with a relative 307). */
  readonly aliases = new Map<string, string>();
  endpoint = '';
  cdnOrigin = '';
  private readonly hub = createServer((req, res) => this.handleHub(req, res));
  private readonly cdn = createServer((req, res) => this.handleCdn(req, res));

  static async start(repos: MockRepo[]): Promise<MockHub> {
    const hub = new MockHub();
    for (const repo of repos) hub.repos.set(repo.id, repo);
    hub.endpoint = await listen(hub.hub);
    hub.cdnOrigin = await listen(hub.cdn);
    return hub;
  }

  /** Requests to one server whose path contains `fragment`. */
  requestsTo(server: 'hub' | 'cdn', fragment = ''): RecordedRequest[] {
    return this.requests.filter((r) => r.server === server && r.path.includes(fragment));
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private record(server: 'hub' | 'cdn', req: IncomingMessage): RecordedRequest {
    const entry: RecordedRequest = { server, method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    this.requests.push(entry);
    return entry;
  }

  private handleHub(req: IncomingMessage, res: ServerResponse): void {
    const entry = this.record('hub', req);
    if (this.faults.stall) return; // keep the connection open and silent
    const reply = (status: number, headers: Record<string, string | number>, body = '') => {
      entry.status = status;
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const raw = new URL(req.url ?? '/', this.endpoint).pathname.split('/').slice(1);
    const at = raw.indexOf('resolve');
    if (at < 1 || at + 2 >= raw.length) return reply(404, {}, 'Not found');
    const repoId = raw.slice(0, at).map(decodeURIComponent).join('/');
    const revision = decodeURIComponent(raw[at + 1]);
    const file = raw.slice(at + 2).map(decodeURIComponent).join('/');

    const renamed = this.aliases.get(repoId);
    if (renamed !== undefined) {
      return reply(307, { location: `/${renamed}/resolve/${raw.slice(at + 1).join('/')}` }, 'Moved');
    }
    const repo = this.repos.get(repoId);
    if (!repo) return reply(404, { 'x-error-code': 'RepoNotFound' }, 'Repository not found');
    if (repo.token !== undefined && req.headers.authorization !== `Bearer ${repo.token}`) {
      return reply(401, { 'x-error-message': 'Invalid credentials in Authorization header' }, 'Unauthorized');
    }
    const commit =
      revision === repo.commit || Object.values(repo.revisions ?? {}).includes(revision)
        ? revision
        : revision === 'main'
          ? repo.commit
          : repo.revisions?.[revision];
    if (commit === undefined) return reply(404, { 'x-error-code': 'RevisionNotFound' }, 'Invalid rev id');
    const entryFile = repo.files[file];
    if (!entryFile) return reply(404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit }, 'Entry not found');

    if (entryFile.lfs) {
      const sha = sha256Hex(entryFile.content);
      const location = `${this.cdnOrigin}/blobs/${sha}?signature=test`;
      return reply(
        302,
        {
          location,
          etag: `"${sha}"`,
          'x-linked-etag': `"${sha}"`,
          ...(this.faults.omitLinkedSize ? {} : { 'x-linked-size': entryFile.content.length }),
          'x-repo-commit': commit,
        },
        `Found. Redirecting to ${location}`,
      );
    }
    this.sendContent(req, res, entry, entryFile.content, {
      etag: `"${gitBlobSha1(entryFile.content)}"`,
      'x-repo-commit': commit,
    });
  }

  private handleCdn(req: IncomingMessage, res: ServerResponse): void {
    const entry = this.record('cdn', req);
    const sha = /^\/blobs\/([0-9a-f]{64})$/.exec(new URL(req.url ?? '/', this.cdnOrigin).pathname)?.[1];
    const file = [...this.repos.values()]
      .flatMap((repo) => Object.values(repo.files))
      .find((f) => f.lfs && sha256Hex(f.content) === sha);
    if (!file) {
      entry.status = 404;
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    let content = file.content;
    if (this.faults.corrupt) {
      content = Buffer.from(content);
      content[content.length >> 1] ^= 0xff;
    }
    this.sendContent(req, res, entry, content, { etag: `"${sha}"` });
  }

  /** Sends `content` honouring Range (unless ignored) and the cut fault. */
  private sendContent(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RecordedRequest,
    content: Buffer,
    headers: Record<string, string>,
  ): void {
    const base = { ...headers, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    let status = 200;
    let body = content;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !this.faults.ignoreRange) {
      const start = Number(range[1]);
      if (start >= content.length) {
        entry.status = 416;
        res.writeHead(416, { ...base, 'content-range': `bytes */${content.length}`, 'content-length': 0 }).end();
        return;
      }
      status = 206;
      body = content.subarray(start);
      Object.assign(base, { 'content-range': `bytes ${start}-${content.length - 1}/${content.length}` });
    }
    entry.status = status;
    res.writeHead(status, { ...base, 'content-length': body.length });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const cut = entry.server === 'cdn' ? this.faults.cut : undefined;
    if (cut && cut.times > 0 && body.length > cut.afterBytes) {
      cut.times--;
      res.write(body.subarray(0, cut.afterBytes), () => res.socket?.destroy());
      return;
    }
    const slow = entry.server === 'cdn' ? this.faults.slow : undefined;
    if (slow) {
      let sent = 0;
      const next = () => {
        if (res.destroyed) return;
        const chunk = body.subarray(sent, sent + slow.chunkBytes);
        sent += chunk.length;
        if (sent >= body.length) res.end(chunk);
        else res.write(chunk, () => setTimeout(next, slow.delayMs));
      };
      next();
      return;
    }
    res.end(body);
  }
}
