/**
 * The compiled-graph cache: ONNX graphs compiled from a checkpoint are kept per user, keyed by
 * the checkpoint's content hash + the compiler version + the compile options, so a checkpoint
 * is compiled once per option set and never again until one of those changes.
 *
 *   <cacheRoot>/graphs/<key>/            the compiler's output files + meta.json
 *   <cacheRoot>/graphs/.tmp-<key>-…/     an entry being compiled (renamed into place when done)
 *
 * `meta.json` is written last inside the temporary folder, and the folder is renamed into place
 * in one step, so an entry is either complete or absent. Entries record the compile time and
 * the output size for reporting.
 *
 * @example
 *   const cache = new GraphCache();
 *   const key = graphCacheKey({ checkpointHash: await checkpointHash(folder), compilerVersion: '1', options: { quantize: 'int8' } });
 *   const entry = await cache.getOrCompile(key, (outDir) => compileInto(outDir));
 *   // entry.folder holds the graph; entry.hit, entry.compileMs, entry.bytes for the report
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { defaultCacheRoot } from './cache';
import { HubError } from './errors';
import { validateRepoFileName } from '../../protocol/hub-id';

/** What a compiled graph depends on. */
export interface GraphCacheKeyParts {
  /** From {@link checkpointHash}. */
  checkpointHash: string;
  /** Bump whenever the compiler's output for the same input can change. */
  compilerVersion: string;
  /** Every option that changes the output (precision, fused operators, attention outputs…). */
  options: Readonly<Record<string, unknown>>;
}

/** A cached compiled graph. */
export interface CompiledGraphEntry {
  key: string;
  folder: string;
  /** Output files relative to `folder` (meta.json excluded). */
  files: string[];
  /** Total size of the output files in bytes. */
  bytes: number;
  /** How long the compile took when the entry was made. */
  compileMs: number;
  createdAt: string;
  /** True when this call found the entry instead of compiling. */
  hit: boolean;
}

const META = 'meta.json';
const KEY = /^[0-9a-f]{64}$/;

/** JSON with object keys sorted at every level, so equal option sets give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The cache key (sha256 hex) of a compiled graph. */
export function graphCacheKey(parts: GraphCacheKeyParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The files of a checkpoint folder that determine a compiled graph: config.json, the weights
 * (model.safetensors, or the shard index and its shards), and the tokenizer files present.
 */
export async function checkpointFiles(folder: string): Promise<string[]> {
  const present = async (name: string) => (await stat(join(folder, name)).catch(() => undefined))?.isFile() ?? false;
  const files = ['config.json'];
  if (await present('model.safetensors')) {
    files.push('model.safetensors');
  } else if (await present('model.safetensors.index.json')) {
    files.push('model.safetensors.index.json');
    const index = JSON.parse(await readFile(join(folder, 'model.safetensors.index.json'), 'utf8')) as {
      weight_map?: Record<string, string>;
    };
    const shards = [...new Set(Object.values(index.weight_map ?? {}))].map((name) => validateRepoFileName(String(name)));
    files.push(...shards.sort());
  }
  for (const name of ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (await present(name)) files.push(name);
  }
  return files;
}

/**
 * Content hash of a checkpoint: sha256 over each file's name, size and sha256. `knownSha256`
 * (e.g. from a Hub download's manifest) skips hashing those files again.
 */
export async function checkpointHash(
  folder: string,
  files?: readonly string[],
  knownSha256: ReadonlyMap<string, string> = new Map(),
): Promise<string> {
  const names = files ?? (await checkpointFiles(folder));
  const hash = createHash('sha256');
  for (const name of names) {
    const path = join(folder, ...validateRepoFileName(name).split('/'));
    const info = await stat(path);
    const digest = knownSha256.get(name) ?? (await sha256OfFile(path));
    hash.update(`${name}\0${info.size}\0${digest}\n`);
  }
  return hash.digest('hex');
}

interface Meta {
  key: string;
  files: Array<{ name: string; size: number }>;
  compileMs: number;
  createdAt: string;
}

async function listOutputFiles(dir: string): Promise<Array<{ name: string; size: number }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: Array<{ name: string; size: number }> = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const name = relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/');
    if (name === META) continue;
    files.push({ name, size: (await stat(join(dir, name))).size });
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export class GraphCache {
  constructor(readonly dir: string = join(defaultCacheRoot(), 'graphs')) {}

  folderOf(key: string): string {
    if (!KEY.test(key)) throw new HubError('invalid', `Invalid graph cache key "${key}".`);
    return join(this.dir, key);
  }

  /** The entry for `key` when it is complete (meta.json present, every file with its size). */
  async lookup(key: string): Promise<CompiledGraphEntry | undefined> {
    const folder = this.folderOf(key);
    let meta: Meta;
    try {
      meta = JSON.parse(await readFile(join(folder, META), 'utf8')) as Meta;
    } catch {
      return undefined;
    }
    if (meta.key !== key || !Array.isArray(meta.files)) return undefined;
    for (const file of meta.files) {
      const info = await stat(join(folder, file.name)).catch(() => undefined);
      if (!info?.isFile() || info.size !== file.size) return undefined;
    }
    return {
      key,
      folder,
      files: meta.files.map((f) => f.name),
      bytes: meta.files.reduce((sum, f) => sum + f.size, 0),
      compileMs: meta.compileMs,
      createdAt: meta.createdAt,
      hit: true,
    };
  }

  /**
   * Returns the entry for `key`, running `compile(outDir)` to make it when missing. `compile`
   * writes its files into `outDir` (a fresh temporary folder); a failed compile leaves nothing.
   */
  async getOrCompile(key: string, compile: (outDir: string) => Promise<void>): Promise<CompiledGraphEntry> {
    const found = await this.lookup(key);
    if (found) return found;
    const folder = this.folderOf(key);
    const temp = join(this.dir, `.tmp-${key.slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(temp, { recursive: true });
    try {
      const started = performance.now();
      await compile(temp);
      const compileMs = Math.round(performance.now() - started);
      const files = await listOutputFiles(temp);
      if (files.length === 0) throw new HubError('failed', 'The compiler wrote no files.');
      const meta: Meta = { key, files, compileMs, createdAt: new Date().toISOString() };
      await writeFile(join(temp, META), JSON.stringify(meta, null, 2) + '\n');
      // Another process (or call) may have finished the same entry meanwhile: use theirs.
      const useTheirs = async () => {
        const theirs = await this.lookup(key);
        if (theirs) await rm(temp, { recursive: true, force: true });
        return theirs && { ...theirs, hit: false };
      };
      const early = await useTheirs();
      if (early) return early;
      // A folder under the final name without a valid meta.json is a crashed compile: stale.
      await rm(folder, { recursive: true, force: true });
      try {
        await rename(temp, folder);
      } catch (error) {
        const late = await useTheirs();
        if (!late) throw error;
        return late;
      }
      const bytes = files.reduce((sum, f) => sum + f.size, 0);
      return { key, folder, files: files.map((f) => f.name), bytes, compileMs, createdAt: meta.createdAt, hit: false };
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  /** Removes the entry for `key` (e.g. after the runtime refused to load it). */
  async remove(key: string): Promise<void> {
    await rm(this.folderOf(key), { recursive: true, force: true });
  }
}
