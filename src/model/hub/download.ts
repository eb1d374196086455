/**
 * Downloads the files of a BERT checkpoint from the Hugging Face Hub (or a mirror with the same
 * URL scheme) into the per-user cache and returns the local folder holding them.
 *
 * Steps: HEAD `config.json` to learn the commit the revision points to; HEAD the other files at
 * that commit (weights: `model.safetensors`, or `model.safetensors.index.json` and its shards;
 * tokenizer: `vocab.txt` and/or `tokenizer.json`; optional `tokenizer_config.json`,
 * `special_tokens_map.json`); download what is not cached yet (see file-download.ts); write the
 * snapshot's manifest and the revision's ref. When the Hub cannot be reached and the cache has
 * a complete snapshot for the revision, that snapshot is returned with `offlineReason` set.
 *
 * @example
 *   const { folder, commit } = await downloadCheckpoint('google-bert/bert-base-uncased', {
 *     onProgress: (p) => console.log(p.file, p.bytes, p.total),
 *   });
 */
import { readFile } from 'node:fs/promises';
import { type ManifestFile, RepoCache, defaultHubCacheDir, validateSnapshotName } from './cache';
import { type AnswerContext, errorCode, errorForStatus, HubError } from './errors';
import { downloadFile, type RemoteFile } from './file-download';
import { header, httpRequest, type HttpResponse } from './http';
import {
  type HubId,
  HubIdError,
  isCommitHash,
  parseHubId,
  repoPath,
  validateRepoFileName,
  withRevision,
} from '../../protocol/hub-id';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const MAX_SHARDS = 512;

/** Progress of a checkpoint download; `total` is undefined when a size is unknown. */
export interface DownloadProgress {
  file: string;
  fileBytes: number;
  fileTotal?: number;
  /** Bytes of all files so far, including files already in the cache. */
  bytes: number;
  total?: number;
}

export interface DownloadCheckpointOptions {
  /** Hub address; default `HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Access token for private / gated models; default `HF_TOKEN`. Sent only to the endpoint's host. */
  token?: string;
  /** How users give a token, quoted in 401/403 messages; default "set the HF_TOKEN environment variable". */
  tokenHint?: string;
  /** Cache folder; default {@link defaultHubCacheDir}. Never the workspace. */
  cacheDir?: string;
  /** Revision when the id has none; an id with another `@revision` is refused. */
  revision?: string;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Use the cache only; default true when `HF_HUB_OFFLINE` is 1 / true. */
  offline?: boolean;
  /** Idle timeout per request (connect or no bytes), ms; default 30 s. */
  timeoutMs?: number;
  /** Retries of a transfer cut in the middle (each resumes with Range); default 3. */
  retries?: number;
}

export interface CheckpointDownload {
  /** `org/name` (or the bare legacy name). */
  id: string;
  revision: string;
  commit: string;
  /** Absolute folder holding the files, `<cache>/models--org--name/snapshots/<commit>`. */
  folder: string;
  /** File names relative to `folder`. */
  files: string[];
  /** Verified sha256 of the LFS files by name (for {@link checkpointHash}'s `knownSha256`). */
  sha256: Record<string, string>;
  /** True when nothing was transferred (every file was already in the cache). */
  fromCache: boolean;
  /** Set when the cache was used without asking the Hub: offline mode or the network failure. */
  offlineReason?: string;
  bytesDownloaded: number;
}

/** Validates and normalises an endpoint URL (no trailing slash). */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new HubError('invalid', `Invalid Hub endpoint "${endpoint}": expected an http(s) URL.`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) {
    throw new HubError('invalid', `Invalid Hub endpoint "${endpoint}": expected an http(s) URL without query or credentials.`);
  }
  return url.href.replace(/\/+$/, '');
}

/** `{endpoint}/{org}/{name}/resolve/{revision}/{file}` with every part URL-encoded. */
export function resolveUrl(endpoint: string, id: HubId, revision: string, file: string): URL {
  const repo = repoPath(id).split('/').map(encodeURIComponent).join('/');
  const path = validateRepoFileName(file).split('/').map(encodeURIComponent).join('/');
  return new URL(`${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`);
}

interface Session {
  id: HubId;
  endpoint: string;
  token?: string;
  tokenHint: string;
  cache: RepoCache;
  timeoutMs: number;
  retries: number;
  signal?: AbortSignal;
}

function answerContext(session: Session, file: string, revision: string): AnswerContext {
  return {
    repo: repoPath(session.id),
    revision,
    file,
    endpoint: session.endpoint,
    tokenSent: session.token !== undefined,
    tokenHint: session.tokenHint,
  };
}

/** Strips quotes and a weak marker from an ETag; returns the hex digest it holds, if any. */
function etagDigest(value: string | undefined): string | undefined {
  if (value === undefined || value.startsWith('W/')) return undefined;
  const digest = value.replace(/^"|"$/g, '').toLowerCase();
  return /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(digest) ? digest : undefined;
}

function sizeHeader(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

interface Probe {
  file: RemoteFile;
  commit?: string;
}

/** HEAD one file at `revision`; undefined when an optional file is missing (404). */
async function probe(session: Session, revision: string, name: string, required: boolean): Promise<Probe | undefined> {
  const url = resolveUrl(session.endpoint, session.id, revision, name);
  const response = await httpRequest(url, {
    method: 'HEAD',
    token: session.token,
    tokenOrigin: new URL(session.endpoint).origin,
    timeoutMs: session.timeoutMs,
    signal: session.signal,
    redirects: 'same-origin',
  });
  response.body.resume();
  const status = response.status;
  const hubErrorCode = header(response.headers, 'x-error-code');
  if (status === 404 && !required && (hubErrorCode === undefined || hubErrorCode === 'EntryNotFound')) return undefined;
  if (status >= 400 || status < 200) throw errorForStatus(status, hubErrorCode, answerContext(session, name, revision));

  const linkedEtag = etagDigest(header(response.headers, 'x-linked-etag'));
  const etag = linkedEtag ?? etagDigest(header(response.headers, 'etag'));
  const linkedSize = sizeHeader(header(response.headers, 'x-linked-size'));
  // A redirect's Content-Length is the redirect page's, not the file's.
  const size = linkedSize ?? (status < 300 ? sizeHeader(header(response.headers, 'content-length')) : undefined);
  const commitHeader = header(response.headers, 'x-repo-commit');
  const file: RemoteFile = { name, url, size };
  if (etag?.length === 64) file.sha256 = etag;
  else if (etag?.length === 40 && linkedEtag === undefined) file.gitSha1 = etag;
  return { file, commit: commitHeader === undefined ? undefined : validateSnapshotName(commitHeader.trim()) };
}

/** Shard file names from `model.safetensors.index.json`, validated. */
function shardNames(text: string): string[] {
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(text) as { weight_map?: unknown }).weight_map;
  } catch {
    throw new HubError('invalid', 'model.safetensors.index.json is not valid JSON.');
  }
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new HubError('invalid', 'model.safetensors.index.json has no "weight_map" object.');
  }
  const names = [...new Set(Object.values(weightMap as Record<string, unknown>))];
  if (names.length === 0 || names.length > MAX_SHARDS) {
    throw new HubError('invalid', `model.safetensors.index.json lists ${names.length} shards (expected 1 to ${MAX_SHARDS}).`);
  }
  return names.map((name) => {
    if (typeof name !== 'string') throw new HubError('invalid', 'model.safetensors.index.json maps a weight to a non-string file.');
    try {
      validateRepoFileName(name);
    } catch (error) {
      throw new HubError('invalid', `model.safetensors.index.json: ${(error as Error).message}`);
    }
    if (!name.endsWith('.safetensors')) {
      throw new HubError('invalid', `model.safetensors.index.json lists "${name}", which is not a .safetensors file.`);
    }
    return name;
  });
}

interface Plan {
  commit: string;
  files: RemoteFile[];
  /** Bytes already transferred while planning (the shard index). */
  transferred: number;
}

/** Finds out which files the checkpoint has at which commit (HEAD requests; GET of a shard index). */
async function planCheckpoint(session: Session, seen: { commit?: string }): Promise<Plan> {
  const revision = session.id.revision;
  const config = (await probe(session, revision, 'config.json', true))!;
  // Pin every further request to the commit so all files come from the same one.
  const commit = config.commit ?? validateSnapshotName(revision.replace(/\//g, '--'));
  const pinned = config.commit ?? revision;
  seen.commit = commit;
  config.file.url = resolveUrl(session.endpoint, session.id, pinned, config.file.name);
  const optional = (name: string) => probe(session, pinned, name, false);
  const [weights, vocab, tokenizerJson, tokenizerConfig, specialTokens] = await Promise.all(
    ['model.safetensors', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'].map(optional),
  );
  const files: RemoteFile[] = [config.file];
  let transferred = 0;
  if (weights) {
    files.push(weights.file);
  } else {
    const index = await optional('model.safetensors.index.json');
    if (!index) {
      const pickled = await optional('pytorch_model.bin');
      throw new HubError(
        'not-found',
        pickled
          ? `Model ${repoPath(session.id)}@${revision} has only pickled PyTorch weights (pytorch_model.bin), which BERT Lens never loads; ` +
              'use a revision or copy of the model with model.safetensors.'
          : `Model ${repoPath(session.id)}@${revision} has no model.safetensors (nor model.safetensors.index.json).`,
      );
    }
    files.push(index.file);
    const saved = await downloadFile(index.file, fileOptions(session, commit, index.file.name, () => undefined));
    transferred += saved.transferred;
    for (const name of shardNames(await readFile(saved.path, 'utf8'))) {
      files.push((await probe(session, pinned, name, true))!.file);
    }
  }
  if (!vocab && !tokenizerJson) {
    throw new HubError('not-found', `Model ${repoPath(session.id)}@${revision} has neither vocab.txt nor tokenizer.json.`);
  }
  for (const found of [vocab, tokenizerJson, tokenizerConfig, specialTokens]) if (found) files.push(found.file);
  return { commit, files, transferred };
}

function fileOptions(session: Session, commit: string, fileName: string, onBytes: (bytes: number) => void) {
  return {
    cache: session.cache,
    commit,
    token: session.token,
    tokenOrigin: new URL(session.endpoint).origin,
    timeoutMs: session.timeoutMs,
    signal: session.signal,
    retries: session.retries,
    onBytes,
    statusError: (response: HttpResponse) =>
      errorForStatus(
        response.status,
        header(response.headers, 'x-error-code'),
        answerContext(session, fileName, session.id.revision),
      ),
  };
}

function knownHashes(files: readonly ManifestFile[]): Record<string, string> {
  return Object.fromEntries(files.flatMap((file) => (file.sha256 ? [[file.name, file.sha256]] : [])));
}

/** The cached snapshot for the session's revision, as a result; undefined when incomplete. */
async function fromCache(session: Session, offlineReason?: string): Promise<CheckpointDownload | undefined> {
  const manifest = await session.cache.findComplete(session.id.revision);
  if (!manifest) return undefined;
  return {
    id: repoPath(session.id),
    revision: session.id.revision,
    commit: manifest.commit,
    folder: session.cache.snapshotDir(manifest.commit),
    files: manifest.files.map((file) => file.name),
    sha256: knownHashes(manifest.files),
    fromCache: true,
    offlineReason,
    bytesDownloaded: 0,
  };
}

/** Wraps file-system failures of the cache in HubError. */
function cacheError(error: unknown, cacheDir: string): unknown {
  if (error instanceof HubError) return error;
  if (error instanceof HubIdError) return new HubError('invalid', error.message, { cause: error });
  const code = errorCode(error);
  if (code === 'ENOSPC') return new HubError('disk-full', `The disk holding the model cache ${cacheDir} is full.`, { cause: error });
  if (code !== undefined) {
    return new HubError('failed', `Cannot use the model cache ${cacheDir}: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

function resolveId(idOrText: HubId | string, revision: string | undefined): HubId {
  let id: HubId;
  try {
    id = typeof idOrText === 'string' ? parseHubId(idOrText, { allowBareName: true }) : idOrText;
    if (revision === undefined) return id;
    if (id.explicitRevision && id.revision !== revision) {
      throw new HubError('invalid', `Two revisions given for ${repoPath(id)}: "${id.revision}" and "${revision}".`);
    }
    return withRevision(id, revision);
  } catch (error) {
    throw cacheError(error, '');
  }
}

/** Downloads (or finds in the cache) the checkpoint `id` and returns its local folder. */
export async function downloadCheckpoint(
  idOrText: HubId | string,
  options: DownloadCheckpointOptions = {},
): Promise<CheckpointDownload> {
  const id = resolveId(idOrText, options.revision);
  const cacheDir = options.cacheDir ?? defaultHubCacheDir();
  const session: Session = {
    id,
    endpoint: normalizeEndpoint(options.endpoint ?? (process.env.HF_ENDPOINT || DEFAULT_ENDPOINT)),
    token: options.token ?? (process.env.HF_TOKEN || undefined),
    tokenHint: options.tokenHint ?? 'set the HF_TOKEN environment variable to a Hugging Face access token',
    cache: new RepoCache(cacheDir, id),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retries: options.retries ?? DEFAULT_RETRIES,
    signal: options.signal,
  };
  const name = `${repoPath(id)}@${id.revision}`;

  const offline = options.offline ?? /^(1|true|yes|on)$/i.test(process.env.HF_HUB_OFFLINE ?? '');
  if (offline) {
    const cached = await fromCache(session, 'offline mode');
    if (cached) return cached;
    throw new HubError('network', `Offline mode, and the cache (${session.cache.dir}) holds no complete copy of ${name}.`);
  }
  // A commit hash never changes: a complete copy needs no network at all.
  if (isCommitHash(id.revision)) {
    const cached = await fromCache(session);
    if (cached) return cached;
  }

  const seen: { commit?: string } = {};
  try {
    const plan = await planCheckpoint(session, seen);
    const total = plan.files.every((file) => file.size !== undefined)
      ? plan.files.reduce((sum, file) => sum + (file.size ?? 0), 0)
      : undefined;
    let finished = 0;
    let transferred = plan.transferred;
    const manifestFiles: ManifestFile[] = [];
    for (const file of plan.files) {
      const onBytes = (fileBytes: number) =>
        options.onProgress?.({ file: file.name, fileBytes, fileTotal: file.size, bytes: finished + fileBytes, total });
      const saved = await downloadFile(file, fileOptions(session, plan.commit, file.name, onBytes));
      finished += saved.size;
      transferred += saved.transferred;
      manifestFiles.push({ name: file.name, size: saved.size, ...(file.sha256 ? { sha256: file.sha256 } : {}) });
    }
    await session.cache.writeManifest({
      id: repoPath(id),
      revision: id.revision,
      commit: plan.commit,
      endpoint: session.endpoint,
      files: manifestFiles,
      completedAt: new Date().toISOString(),
    });
    await session.cache.writeRef(id.revision, plan.commit);
    return {
      id: repoPath(id),
      revision: id.revision,
      commit: plan.commit,
      folder: session.cache.snapshotDir(plan.commit),
      files: manifestFiles.map((file) => file.name),
      sha256: knownHashes(manifestFiles),
      fromCache: transferred === 0,
      bytesDownloaded: transferred,
    };
  } catch (caught) {
    const error = cacheError(caught, cacheDir);
    if (error instanceof HubError && error.kind === 'checksum' && seen.commit !== undefined) {
      await session.cache.discardIncomplete(seen.commit, []).catch(() => undefined);
    }
    if (error instanceof HubError && error.kind === 'network') {
      const cached = await fromCache(session, error.message).catch(() => undefined);
      if (cached) return cached;
      throw new HubError(
        'network',
        `${error.message} Could not download ${name} from ${session.endpoint}, and the cache (${session.cache.dir}) holds no complete copy of it.`,
        { cause: error, status: error.status },
      );
    }
    throw error;
  }
}
