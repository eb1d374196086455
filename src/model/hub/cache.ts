/**
 * The per-user download cache for Hub checkpoints: where it lives and how it is laid out.
 *
 *   <cacheDir>/models--<org>--<name>/          (models--<name> for bare legacy ids)
 *     refs/<revision, URL-encoded>              text file holding the commit hash
 *     snapshots/<commit>/<file>                 finished, verified files (plain files, no links)
 *     manifests/<commit>.json                   written last: the snapshot is complete
 *     blobs/<etag or key>.part                  a download in progress (resumed with Range)
 *
 * Files reach `snapshots/` only by an atomic rename after verification, and a snapshot is
 * used offline only when its manifest exists and every file listed has its recorded size.
 * The default cache is in the user's cache folder, never in a workspace.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HubError } from './errors';
import { type HubId, validateRepoFileName } from '../../protocol/hub-id';

/** The bert-lens cache root: `BERT_LENS_CACHE`, else the platform's per-user cache folder. */
export function defaultCacheRoot(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.BERT_LENS_CACHE && isAbsolute(env.BERT_LENS_CACHE)) return env.BERT_LENS_CACHE;
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA && isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : join(home, 'AppData', 'Local');
    return join(local, 'bert-lens');
  }
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'bert-lens');
  // XDG: a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(home, '.cache');
  return join(xdg, 'bert-lens');
}

/** Default folder of downloaded Hub checkpoints. */
export function defaultHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultCacheRoot(env), 'hub');
}

/** Throws when `cacheDir` is inside one of `folders` (e.g. the open workspace folders). */
export function assertCacheOutside(cacheDir: string, folders: readonly string[]): void {
  const cache = resolve(cacheDir);
  for (const folder of folders) {
    const rel = relative(resolve(folder), cache);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
      throw new HubError('invalid', `The model cache ${cache} is inside ${folder}; choose a cache folder outside the workspace.`);
    }
  }
}

const SNAPSHOT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

/** Throws unless `name` can be a snapshot folder name (a commit hash from a server header). */
export function validateSnapshotName(name: string): string {
  if (!SNAPSHOT_NAME.test(name) || name.includes('..')) {
    throw new HubError('invalid', `The server sent an invalid commit id "${name.slice(0, 80)}".`);
  }
  return name;
}

/** Paths of one repository's cache. */
export class RepoCache {
  readonly dir: string;

  constructor(readonly cacheDir: string, id: HubId) {
    const folder = id.owner === undefined ? `models--${id.name}` : `models--${id.owner}--${id.name}`;
    this.dir = join(resolve(cacheDir), folder);
  }

  snapshotDir(commit: string): string {
    return join(this.dir, 'snapshots', validateSnapshotName(commit));
  }

  /** Final path of `file` in a snapshot; the name is validated and must stay inside the snapshot. */
  snapshotFile(commit: string, file: string): string {
    const base = this.snapshotDir(commit);
    const path = join(base, ...validateRepoFileName(file).split('/'));
    if (!path.startsWith(base + sep)) throw new HubError('invalid', `Refusing file name "${file}".`);
    return path;
  }

  /** Where a download in progress is kept; `key` is a hash (etag) or another [A-Za-z0-9] key. */
  partialFile(key: string): string {
    if (!/^[A-Za-z0-9]{8,128}$/.test(key)) throw new HubError('invalid', `Invalid partial-download key "${key}".`);
    return join(this.dir, 'blobs', `${key}.part`);
  }

  refFile(revision: string): string {
    return join(this.dir, 'refs', encodeURIComponent(revision));
  }

  manifestFile(commit: string): string {
    return join(this.dir, 'manifests', `${validateSnapshotName(commit)}.json`);
  }

  async readRef(revision: string): Promise<string | undefined> {
    const text = await readFile(this.refFile(revision), 'utf8').catch(() => undefined);
    const commit = text?.trim();
    return commit && SNAPSHOT_NAME.test(commit) ? commit : undefined;
  }

  async writeRef(revision: string, commit: string): Promise<void> {
    await writeFileAtomic(this.refFile(revision), commit);
  }

  async writeManifest(manifest: SnapshotManifest): Promise<void> {
    await writeFileAtomic(this.manifestFile(manifest.commit), JSON.stringify(manifest, null, 2) + '\n');
  }

  /** The manifest of `commit` when every file it lists is in the snapshot with its recorded size. */
  async completeSnapshot(commit: string): Promise<SnapshotManifest | undefined> {
    let manifest: SnapshotManifest;
    try {
      manifest = JSON.parse(await readFile(this.manifestFile(commit), 'utf8')) as SnapshotManifest;
    } catch {
      return undefined;
    }
    if (manifest.commit !== commit || !Array.isArray(manifest.files) || manifest.files.length === 0) return undefined;
    for (const file of manifest.files) {
      const info = await stat(this.snapshotFile(commit, file.name)).catch(() => undefined);
      if (!info?.isFile() || info.size !== file.size) return undefined;
    }
    return manifest;
  }

  /** The complete snapshot for `revision` (a ref name or a commit hash), if the cache has one. */
  async findComplete(revision: string): Promise<SnapshotManifest | undefined> {
    const commit = (await this.readRef(revision)) ?? (SNAPSHOT_NAME.test(revision) ? revision : undefined);
    return commit === undefined ? undefined : this.completeSnapshot(commit);
  }

  /**
   * Removes what a failed download left for `commit` when that snapshot is not complete
   * (no manifest): its files, its partial downloads in `partials`, then empty folders up to
   * the repository folder.
   */
  async discardIncomplete(commit: string, partials: readonly string[]): Promise<void> {
    for (const partial of partials) await rm(partial, { force: true });
    if (!existsSync(this.manifestFile(commit))) {
      await rm(this.snapshotDir(commit), { recursive: true, force: true });
    }
    for (const sub of ['blobs', 'snapshots', 'manifests', 'refs']) await removeIfEmpty(join(this.dir, sub));
    await removeIfEmpty(this.dir);
  }
}

/** What `manifests/<commit>.json` records about a complete snapshot. */
export interface SnapshotManifest {
  /** `org/name` as requested. */
  id: string;
  revision: string;
  commit: string;
  endpoint: string;
  files: ManifestFile[];
  completedAt: string;
}

export interface ManifestFile {
  name: string;
  size: number;
  /** sha256 the Hub announced (LFS files) and the download was checked against. */
  sha256?: string;
}

async function removeIfEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries && entries.length === 0) await rmdir(dir).catch(() => undefined);
}

/** Writes `text` to `path` through a temporary file and a rename, creating folders. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // Unique per call: two downloads in one process may write the same ref in the same millisecond.
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}
