// The language server as another editor would use it: a real `bert-lens serve --stdio` child
// process, spoken to over JSON-RPC. Checks initialize, status, fill-mask, hover, errors, exit.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  createProtocolConnection,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  DidOpenTextDocumentNotification,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { FillMaskRequest, StatusNotification, StatusRequest, type StatusResult } from '../../src/protocol';

const root = join(__dirname, '..', '..');
let server: ChildProcess;
let connection: ProtocolConnection;
let ready: Promise<StatusResult>;

before(async () => {
  server = spawn('node', [join(root, 'dist', 'cli.js'), 'serve', '--stdio'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  connection = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  ready = new Promise((resolve, reject) => {
    connection.onNotification(StatusNotification, (status) => {
      if (status.state === 'ready') resolve(status);
      if (status.state === 'error') reject(new Error(status.error));
    });
  });
  connection.listen();
  const init = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
    initializationOptions: { settings: { topK: 4 } },
  });
  assert.equal(init.capabilities.hoverProvider, true);
  await connection.sendNotification(InitializedNotification.type, {});
});

after(async () => {
  await connection.sendRequest(ShutdownRequest.type);
  await connection.sendNotification(ExitNotification.type);
  await new Promise((resolve) => server.once('exit', resolve));
  connection.dispose();
});

test('the server loads the bundled model and reports its status', async () => {
  const status = await ready;
  assert.equal(status.executionProvider, 'cpu');
  assert.equal(status.pid, server.pid);
  const polled = await connection.sendRequest(StatusRequest);
  assert.equal(polled.state, 'ready');
});

test('bertLens/fillMask answers one entry per [MASK] with topK from the settings', async () => {
  await ready;
  const result = await connection.sendRequest(FillMaskRequest, { text: 'the [MASK] sat on the [MASK] .' });
  assert.equal(result.masks.length, 2);
  assert.deepEqual(result.masks.map((m) => m.range), [[4, 10], [22, 28]]);
  for (const mask of result.masks) assert.equal(mask.predictions.length, 4);
});

test('bertLens/fillMask rejects bad input with a readable error', async () => {
  await assert.rejects(connection.sendRequest(FillMaskRequest, { text: '' }), /empty/);
  await assert.rejects(connection.sendRequest(FillMaskRequest, { text: 'no mask' }), /\[MASK\]/);
  await assert.rejects(connection.sendRequest(FillMaskRequest, { text: 'x'.repeat(200_000) }), /limit is 100,000/);
});

test('hover over [MASK] shows predictions; over a space shows nothing', async () => {
  await ready;
  const uri = 'file:///tmp/bert-lens-test.md';
  const text = '# Title\n\nThe cat sat on the [MASK] today.\n';
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'markdown', version: 1, text } });
  const hover = await connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 2, character: 22 } });
  assert.ok(hover, 'a hover over [MASK]');
  const value = (hover!.contents as { value: string }).value;
  assert.match(value, /BERT Lens/);
  assert.equal(value.match(/%/g)?.length, 4);
  assert.deepEqual(hover!.range, { start: { line: 2, character: 19 }, end: { line: 2, character: 25 } });
  // (Over a word, the hover shows its alternatives: see server-lsp.test.ts.)
  const none = await connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 2, character: 3 } });
  assert.equal(none, null);
});
