/**
 * An advisory lock file next to a download's `.part`, so that two processes of one user (the
 * extension's language server and a `bert-lens import` in a terminal, or two VS Code windows)
 * never write the same partial file at once: the second waits for the first, then finds the
 * finished file in the cache. Hand-written because the npm lock libraries (proper-lockfile and
 * kin) are unmaintained or bring dependencies for what is `open(…, 'wx')` plus staleness rules.
 *
 * The lock is `PATH` created exclusively, holding `{pid, host}`; its holder refreshes its mtime
 * every few seconds. A lock is stale, and is taken over, when its holder is a process of this
 * host that no longer runs, or when it has not been refreshed for STALE_MS (a crashed holder on
 * another host sharing the cache folder, or a file nobody can read).
 */
import { hostname } from 'node:os';
import { open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { errorCode } from './errors';
import { abortError } from './http';

const LOCK_REFRESH_MS = 2_000;
const STALE_MS = 30_000;
const POLL_MS = 100;

interface LockOwner {
  pid: number;
  host: string;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM'; // exists, owned by someone else
  }
}

/** The inode of the lock at `path` when it is stale, else undefined. */
async function staleLock(path: string): Promise<number | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined; // gone: the next attempt creates it
  if (Date.now() - info.mtimeMs > STALE_MS) return info.ino;
  const owner = await readFile(path, 'utf8')
    .then((text) => JSON.parse(text) as LockOwner)
    .catch(() => undefined);
  // Unreadable or half-written: judged by its age alone.
  if (!owner || typeof owner.pid !== 'number') return undefined;
  return owner.host === hostname() && !isRunning(owner.pid) ? info.ino : undefined;
}

/**
 * Removes a stale lock unless it was replaced meanwhile (another waiter may have removed it and
 * taken the lock: the inode then differs). A window of a few microseconds between the check and
 * the removal remains; it only matters when two waiters take over one crashed holder's lock.
 */
async function removeStale(path: string, ino: number): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info?.ino === ino) await rm(path, { force: true });
}

/** Creates the lock file, or returns false when another holder has it. */
async function tryCreate(path: string): Promise<boolean> {
  try {
    const file = await open(path, 'wx');
    try {
      await file.writeFile(JSON.stringify({ pid: process.pid, host: hostname() } satisfies LockOwner));
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Runs `work` holding the lock at `path` (its folder must exist), waiting while another process
 * (or another call of this one) holds it. `onWait` is called on every poll while waiting.
 */
export async function withFileLock<T>(
  path: string,
  work: () => Promise<T>,
  options: { signal?: AbortSignal; onWait?: () => Promise<void> | void } = {},
): Promise<T> {
  for (;;) {
    if (options.signal?.aborted) throw abortError(options.signal);
    if (await tryCreate(path)) break;
    const stale = await staleLock(path);
    if (stale !== undefined) {
      await removeStale(path, stale);
      continue;
    }
    await options.onWait?.();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, LOCK_REFRESH_MS);
  refresh.unref();
  try {
    return await work();
  } finally {
    clearInterval(refresh);
    await rm(path, { force: true });
  }
}
