// A real `bert-lens serve --stdio` child process and a JSON-RPC connection to it, as another
// editor would talk to it: start with settings, open / change documents, wait for
// publishDiagnostics, stop. Shared by the server-*.test.ts files (not a test file itself).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { StatusNotification, type StatusResult } from '../../src/protocol';

export const root = join(__dirname, '..', '..');

export interface TestServer {
  connection: ProtocolConnection;
  process: ChildProcess;
  ready: Promise<StatusResult>;
  /** Every publishDiagnostics received, in order. */
  published: PublishDiagnosticsParams[];
  /** Resolves with the first publishDiagnostics for `uri` from index `since` on (default: from now) that `accept` takes. */
  diagnostics(uri: string, accept?: (p: PublishDiagnosticsParams) => boolean, since?: number, timeoutMs?: number): Promise<PublishDiagnosticsParams>;
  open(uri: string, text: string, languageId?: string, version?: number): Promise<void>;
  replace(uri: string, version: number, text: string): Promise<void>;
  stop(): Promise<void>;
}

/** `initializationOptions` beyond `settings` (e.g. `ignoreWordCommand`) go in `extraOptions`. */
export async function startTestServer(settings: unknown, capabilities: ClientCapabilities = {}, extraOptions: object = {}): Promise<TestServer> {
  const cache = mkdtempSync(join(tmpdir(), 'bert-lens-server-cache-'));
  const child = spawn('node', [join(root, 'dist', 'cli.js'), 'serve', '--stdio'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, BERT_LENS_CACHE: cache },
  });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const ready = new Promise<StatusResult>((resolve, reject) => {
    connection.onNotification(StatusNotification, (status) => {
      if (status.state === 'ready') resolve(status);
      if (status.state === 'error') reject(new Error(status.error));
    });
  });
  const published: PublishDiagnosticsParams[] = [];
  const waiters: Array<() => void> = [];
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    published.push(params);
    for (const wake of waiters.splice(0)) wake();
  });
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities,
    // The tiny fixture unless a test names a model: these tests check mechanics, not guesses.
    initializationOptions: { settings: { model: 'tiny-random', ...(settings as object) }, ...extraOptions },
  });
  await connection.sendNotification(InitializedNotification.type, {});

  return {
    connection,
    process: child,
    ready,
    published,
    diagnostics(uri, accept = () => true, since = published.length, timeoutMs = 60_000) {
      const started = since;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
        let seen = started;
        const check = () => {
          for (; seen < published.length; seen++) {
            const p = published[seen];
            if (p.uri === uri && accept(p)) {
              clearTimeout(timer);
              resolve(p);
              return;
            }
          }
          waiters.push(check);
        };
        check();
      });
    },
    open: (uri, text, languageId = 'markdown', version = 1) =>
      connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } }),
    replace: (uri, version, text) =>
      connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] }),
    async stop() {
      if (child.exitCode === null) {
        await connection.sendRequest(ShutdownRequest.type);
        await connection.sendNotification(ExitNotification.type);
        await new Promise((resolve) => child.once('exit', resolve));
      }
      connection.dispose();
      rmSync(cache, { recursive: true, force: true });
    },
  };
}
