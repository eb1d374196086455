/**
 * Downloads one repository file into the cache: resumes a `.part` file with an HTTP Range
 * request (206 appends; a 200 means the server ignored the range, so the file restarts; 416
 * drops the partial), retries a transfer cut in the middle a bounded number of times, checks
 * the size and hash the Hub announced (sha256 for LFS files, git's blob sha1 for small ones),
 * and only then renames the file into its snapshot folder. A file that fails its check is
 * deleted; a file interrupted by the network or a cancel keeps its `.part` for the next try.
 * A `.part.lock` beside the partial keeps a second process from writing it at the same time.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RepoCache } from './cache';
import { errorCode, HubError } from './errors';
import { withFileLock } from './file-lock';
import { abortError, asNetworkError, header, httpRequest, type HttpResponse } from './http';

/** What the Hub announced about a file (from a HEAD request on its resolve URL). */
export interface RemoteFile {
  /** Path inside the repository (validated). */
  name: string;
  /** Resolve URL, pinned to the commit. */
  url: URL;
  size?: number;
  /** LFS files: the sha256 of the content. */
  sha256?: string;
  /** Small (non-LFS) files: git's blob hash, sha1("blob <size>\0" + content). */
  gitSha1?: string;
}

export interface FileDownloadOptions {
  cache: RepoCache;
  commit: string;
  token?: string;
  tokenOrigin: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** How many times a failed transfer is tried again (resuming where it stopped). */
  retries: number;
  /** Bytes of this file on disk so far (absolute; drops to 0 only when a server ignores Range). */
  onBytes: (bytesDone: number) => void;
  /** Turns an HTTP error status into a HubError with context. */
  statusError: (response: HttpResponse) => HubError;
}

export interface DownloadedFile {
  path: string;
  size: number;
  /** Bytes that came over the network in this call. */
  transferred: number;
}

const RETRY_DELAY_MS = 150;

/** Key of the `.part` file: the announced hash, else a hash of commit and name. */
function partialKey(file: RemoteFile, commit: string): string {
  return file.sha256 ?? file.gitSha1 ?? createHash('sha256').update(`${commit}\0${file.name}`).digest('hex');
}

async function sizeOnDisk(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  return info?.size ?? 0;
}

/** The first byte position of a `Content-Range: bytes START-END/TOTAL` header. */
function contentRangeStart(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

/** Hex digest of a file; `prefix` is hashed first (git's blob header). */
async function hashFile(path: string, algorithm: 'sha256' | 'sha1', prefix = ''): Promise<string> {
  const hash = createHash(algorithm);
  hash.update(prefix);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Classifies an error of a body transfer. */
function transferError(error: unknown, file: RemoteFile, options: FileDownloadOptions, partial: string, from: URL): unknown {
  if (options.signal?.aborted) return abortError(options.signal);
  if (errorCode(error) === 'ENOSPC') {
    return new HubError('disk-full', `The disk holding the model cache is full (${partial}) while downloading ${file.name}.`, {
      cause: error,
    });
  }
  if (error instanceof HubError) return error;
  const network = asNetworkError(error, from, options.signal);
  if (!(network instanceof HubError)) return network;
  return new HubError('network', `The connection to ${from.origin} broke while downloading ${file.name} (${errorCode(error) ?? (error as Error).message}).`, {
    cause: error,
  });
}

/**
 * Writes a response body into `partial` (appending, or from scratch), chunk by chunk: every
 * byte reported through `onBytes` is on disk, so a transfer cut at any point resumes exactly
 * where the file ends (a piped write stream would drop its buffered chunks on an error).
 */
async function writeBody(
  response: HttpResponse,
  partial: string,
  startAt: number,
  options: FileDownloadOptions,
): Promise<void> {
  const out = await open(partial, startAt > 0 ? 'a' : 'w'); // its folder: made by downloadFile
  let done = startAt;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw abortError(options.signal);
      await out.write(chunk);
      done += chunk.length;
      options.onBytes(done);
    }
  } finally {
    response.body.destroy();
    await out.close();
  }
}

/** Checks size and hash of a finished `.part`; deletes it and throws on a mismatch. */
async function verify(partial: string, file: RemoteFile): Promise<number> {
  const size = await sizeOnDisk(partial);
  let problem: string | undefined;
  if (file.size !== undefined && size !== file.size) {
    problem = `${size} bytes instead of the announced ${file.size}`;
  } else if (file.sha256 !== undefined) {
    const actual = await hashFile(partial, 'sha256');
    if (actual !== file.sha256) problem = `sha256 ${actual} instead of the announced ${file.sha256}`;
  } else if (file.gitSha1 !== undefined) {
    const actual = await hashFile(partial, 'sha1', `blob ${size}\0`);
    if (actual !== file.gitSha1) problem = `git blob hash ${actual} instead of the announced ${file.gitSha1}`;
  }
  if (problem !== undefined) {
    await rm(partial, { force: true });
    throw new HubError('checksum', `Downloaded ${file.name} is corrupt (${problem}); it was discarded.`);
  }
  return size;
}

/** The file in the snapshot when it is complete there (as far as its size tells), reported through `onBytes`. */
async function completed(finalPath: string, file: RemoteFile, onBytes: (bytes: number) => void): Promise<DownloadedFile | undefined> {
  const existing = await stat(finalPath).catch(() => undefined);
  if (!existing?.isFile() || (file.size !== undefined && existing.size !== file.size)) return undefined;
  onBytes(existing.size);
  return { path: finalPath, size: existing.size, transferred: 0 };
}

/**
 * Downloads `file` into the snapshot of `options.commit`, or returns it when already there.
 * One process at a time writes a given `.part` (file-lock.ts); a second one waits, reporting
 * the first one's progress, and then finds the file in the snapshot.
 */
export async function downloadFile(file: RemoteFile, options: FileDownloadOptions): Promise<DownloadedFile> {
  const finalPath = options.cache.snapshotFile(options.commit, file.name);
  const done = await completed(finalPath, file, options.onBytes);
  if (done) return done;
  const partial = options.cache.partialFile(partialKey(file, options.commit));
  await mkdir(dirname(partial), { recursive: true });
  return withFileLock(
    `${partial}.lock`,
    // Checked again under the lock: the holder we waited for may have finished the file.
    async () => (await completed(finalPath, file, options.onBytes)) ?? transfer(file, partial, finalPath, options),
    { signal: options.signal, onWait: async () => options.onBytes(await sizeOnDisk(partial)) },
  );
}

/** Fetches `file` into `partial` (resuming it), verifies it and renames it to `finalPath`. */
async function transfer(file: RemoteFile, partial: string, finalPath: string, options: FileDownloadOptions): Promise<DownloadedFile> {
  let transferred = 0;
  let failures = 0;
  const retryOrThrow = async (error: unknown): Promise<void> => {
    if (!(error instanceof HubError && error.kind === 'network') || failures >= options.retries) throw error;
    failures++;
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * failures));
    if (options.signal?.aborted) throw abortError(options.signal);
  };

  for (;;) {
    let offset = await sizeOnDisk(partial);
    if (file.size !== undefined && offset > file.size) {
      await rm(partial, { force: true });
      offset = 0;
    }
    options.onBytes(offset);
    if (file.size !== undefined && offset === file.size) break;

    let response: HttpResponse;
    try {
      response = await httpRequest(file.url, {
        method: 'GET',
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        token: options.token,
        tokenOrigin: options.tokenOrigin,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        redirects: 'all',
      });
    } catch (error) {
      await retryOrThrow(error);
      continue;
    }

    let startAt = offset;
    if (response.status === 416) {
      // The range starts past the end: the partial is stale. Start over (counts as a failure).
      response.body.resume();
      await rm(partial, { force: true });
      await retryOrThrow(new HubError('network', `${response.url.origin} refused the resume range for ${file.name} (HTTP 416).`));
      continue;
    }
    if (response.status === 206) {
      if (contentRangeStart(header(response.headers, 'content-range')) !== offset) {
        response.body.destroy();
        await rm(partial, { force: true });
        await retryOrThrow(new HubError('network', `${response.url.origin} sent the wrong range for ${file.name}.`));
        continue;
      }
    } else if (response.status === 200) {
      startAt = 0; // no range support (or no partial): the whole file comes again
    } else {
      response.body.resume();
      throw options.statusError(response);
    }

    const before = startAt;
    try {
      await writeBody(response, partial, startAt, options);
    } catch (error) {
      const classified = transferError(error, file, options, partial, response.url);
      if (classified instanceof HubError && classified.kind === 'disk-full') await rm(partial, { force: true });
      transferred += Math.max(0, (await sizeOnDisk(partial)) - before);
      await retryOrThrow(classified);
      continue;
    }
    const got = await sizeOnDisk(partial);
    transferred += Math.max(0, got - before);
    if (file.size === undefined || got >= file.size) break;
    // The body ended early without an error (e.g. no Content-Length): resume.
    await retryOrThrow(new HubError('network', `The transfer of ${file.name} from ${response.url.origin} ended early.`));
  }

  const size = await verify(partial, file);
  await mkdir(dirname(finalPath), { recursive: true });
  await rename(partial, finalPath);
  options.onBytes(size);
  return { path: finalPath, size, transferred };
}
