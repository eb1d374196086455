// Finding and ending a process with all its descendants (Linux /proc), and free TCP ports.
// code-server forks the extension host, which forks the extension's language server; some of
// those may leave the process group, so the tree is walked through /proc rather than trusted.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Map from pid to parent pid for every process readable in /proc. */
function parentMap() {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
      const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(afterName[1]));
    } catch {
      // The process ended while we were reading.
    }
  }
  return parents;
}

/** `rootPid` and all its live descendants, parents before children. */
export function processTree(rootPid) {
  const parents = parentMap();
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pids, name) {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  }
}

/** Synchronous: SIGKILL the whole tree now (safe inside process 'exit' handlers). */
export function killTreeNow(rootPid) {
  signal(processTree(rootPid).reverse(), 'SIGKILL');
}

/** SIGTERM the tree, wait up to `graceMs` for it to go, then SIGKILL whatever is left. */
export async function killTree(rootPid, graceMs = 3000) {
  const pids = processTree(rootPid);
  signal(pids.slice().reverse(), 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(isAlive)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Descendants forked during shutdown are picked up by a second walk.
  const left = [...new Set([...pids, ...processTree(rootPid)])].filter(isAlive);
  signal(left.reverse(), 'SIGKILL');
}

/** Resolves to `port` if it can be bound on 127.0.0.1, else null. */
function tryPort(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
  });
}

/** `preferred` when free (and given), else the first free port above it, else any free port. */
export async function freePort(preferred) {
  if (preferred) {
    for (let port = preferred; port < preferred + 20; port++) {
      const free = await tryPort(port);
      if (free) return free;
    }
  }
  return tryPort(0);
}
