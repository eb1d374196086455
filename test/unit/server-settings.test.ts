// Per-document settings pulled with workspace/configuration (a client that supports it, as
// VS Code does): each document gets its folder's settings, pulled once and pulled again after
// didChangeConfiguration; a document's hover and diagnostics follow its own settings.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConfigurationRequest, DidChangeConfigurationNotification, HoverRequest } from 'vscode-languageserver-protocol/node';
import { startTestServer, type TestServer } from './server-harness';

let server: TestServer;
const pulls: string[] = [];
let quietHover = false;

before(async () => {
  server = await startTestServer({}, { workspace: { configuration: true } });
  server.connection.onRequest(ConfigurationRequest.type, (params) =>
    params.items.map((item) => {
      pulls.push(item.scopeUri ?? '');
      if (item.scopeUri?.includes('quiet')) return { hover: { enabled: !quietHover } };
      return { topK: 2, diagnostics: { enabled: true, unlikelyWordThreshold: 0.5, maxPerFile: 2, debounceMs: 0 } };
    }),
  );
  await server.ready;
});

after(async () => {
  await server.stop();
});

test('each document gets its own pulled settings, cached until the configuration changes', async () => {
  const c = server.connection;
  const loud = 'file:///tmp/folder-a/loud.md';
  const quiet = 'file:///tmp/folder-b/quiet.md';
  const text = 'The cat sat on the mat. The dog ran in the park.';
  const mark = server.published.length;
  await server.open(loud, text);
  await server.open(quiet, text);
  const published = await server.diagnostics(loud, (p) => p.diagnostics.length > 0, mark);
  assert.equal(published.diagnostics.length, 2, 'maxPerFile 2 from the pulled settings');

  quietHover = true;
  const hoverLoud = await c.sendRequest(HoverRequest.type, { textDocument: { uri: loud }, position: { line: 0, character: 5 } });
  assert.equal((hoverLoud as { contents: { value: string } }).contents.value.match(/^\| \d \|/gm)?.length, 2, 'topK 2 from the pulled settings');
  const hoverQuiet = await c.sendRequest(HoverRequest.type, { textDocument: { uri: quiet }, position: { line: 0, character: 5 } });
  assert.ok(hoverQuiet, 'the cached settings (hover on) still hold');
  const pulledBefore = pulls.filter((u) => u === quiet).length;
  assert.equal(pulledBefore, 1, 'pulled once per document');

  await c.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  const after = await c.sendRequest(HoverRequest.type, { textDocument: { uri: quiet }, position: { line: 0, character: 5 } });
  assert.equal(after, null, 'hover off after the change');
  assert.ok(pulls.filter((u) => u === quiet).length > pulledBefore, 'pulled again after didChangeConfiguration');
});
