// The remaining settings, each by what it does:
// - bertLens.hub.endpoint + bertLens.hub.token: Import Model from Hugging Face downloads from the
//   endpoint set (a real HTTP server on 127.0.0.1 standing in for the Hub, test/support/mock-hub.ts,
//   serving a tiny PyTorch-made checkpoint), sending `Authorization: Bearer <token>` to it and not
//   to the CDN it redirects to; a refused token (401) ends in an error notification.
// - bertLens.trace.server: with the BERT Lens log channel at Trace level (vscode-languageclient
//   traces only then), "verbose" writes each message with its parameters, the default only names it.
// - bertLens.diagnostics.debounceMs: a long debounce holds the scan after an edit back that long.
// - bertLens.comments.enabled: a TypeScript comment gets word hovers only with the setting on, and
//   code never does.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { MockHub, type MockRepo } from '../../support/mock-hub';
import {
  BertLensApi,
  EXTENSION_ID,
  closeAllEditors,
  isProcessAlive,
  predict,
  readyApi,
  recordErrors,
  shownMatching,
  showDocument,
  waitFor,
} from './bert-lens';

const config = () => vscode.workspace.getConfiguration('bertLens');
const setting = (key: string, value: unknown) => config().update(key, value, vscode.ConfigurationTarget.Global);

/** Changes a setting that restarts the server and waits until a new server process runs. */
async function restartWith(api: BertLensApi, key: string, value: unknown): Promise<void> {
  const before = api.serverPid();
  await setting(key, value);
  await waitFor(() => {
    const pid = api.serverPid();
    return pid !== undefined && pid !== before && isProcessAlive(pid);
  }, 90_000, `a server restarted after changing ${key}`);
}

/** Restarts with `value` and waits until the (bundled) model is ready. */
async function restartReady(api: BertLensApi, key: string, value: unknown): Promise<void> {
  await restartWith(api, key, value);
  await api.ready();
}

function hoverText(hovers: vscode.Hover[] | undefined): string {
  return (hovers ?? [])
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n');
}

interface Status {
  state: string;
  model: string;
  pid: number;
}

suite('more settings', () => {
  teardown(closeAllEditors);

  test('bertLens.hub.endpoint and bertLens.hub.token: Import Model downloads from the endpoint with the token; a 401 is an error notification', async () => {
    const api = await readyApi();
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const checkpoint = path.join(extension.extensionPath, 'test', 'fixtures', 'checkpoints', 'legacy-pretraining');
    const files = Object.fromEntries(
      fs
        .readdirSync(checkpoint)
        .filter((name) => name !== 'expected.json')
        .map((name) => [name, { content: fs.readFileSync(path.join(checkpoint, name)), lfs: name.endsWith('.safetensors') }]),
    );
    const token = `hf_integration_${Date.now().toString(36)}`;
    // Fresh ids each run: nothing can come from a download cache.
    const suffix = Date.now().toString(36);
    const privateRepo: MockRepo = { id: `bert-lens-test/private-${suffix}`, commit: 'a'.repeat(40), files, token };
    const otherAccount: MockRepo = { id: `bert-lens-test/other-${suffix}`, commit: 'b'.repeat(40), files, token: 'hf_someone_else' };
    const hub = await MockHub.start([privateRepo, otherAccount]);
    const recorder = recordErrors();
    try {
      await restartReady(api, 'hub.endpoint', hub.endpoint);
      await restartReady(api, 'hub.token', token);

      const status = await vscode.commands.executeCommand<Status | undefined>('bertLens.importModel', { id: privateRepo.id });
      assert.ok(status, `Import Model returned nothing; errors: ${JSON.stringify(recorder.shown)}`);
      assert.strictEqual(status.state, 'ready');
      assert.strictEqual(status.model, privateRepo.id, 'the server does not use the imported model');
      assert.strictEqual(config().inspect('model')?.globalValue, privateRepo.id, 'the model setting was not switched');
      assert.strictEqual(api.serverPid(), status.pid);
      assert.ok(await predict('the cat sat on the [MASK] .'), 'the imported model gives no prediction');

      const toHub = hub.requestsTo('hub', `/${privateRepo.id}/resolve/`);
      const fetched = toHub.filter((r) => r.status !== undefined && r.status < 400).map((r) => r.path);
      for (const name of ['config.json', 'vocab.txt', 'model.safetensors']) {
        assert.ok(fetched.some((p) => p.endsWith(`/${name}`)), `${name} was not fetched from the endpoint set: ${JSON.stringify(fetched)}`);
      }
      for (const r of toHub) assert.strictEqual(r.headers.authorization, `Bearer ${token}`, `${r.method} ${r.path} without the token`);
      const toCdn = hub.requestsTo('cdn');
      assert.ok(toCdn.length > 0, 'model.safetensors did not come through the CDN redirect');
      for (const r of toCdn) assert.strictEqual(r.headers.authorization, undefined, `the token went to the CDN: ${r.path}`);

      // The token does not open another account's private model: 401, and the user is told.
      const refused = await vscode.commands.executeCommand<Status | undefined>('bertLens.importModel', { id: otherAccount.id });
      assert.strictEqual(refused, undefined, 'a refused download must not report success');
      const answered = hub.requestsTo('hub', `/${otherAccount.id}/resolve/`);
      assert.ok(answered.some((r) => r.status === 401), `the server never answered 401: ${JSON.stringify(answered.map((r) => r.status))}`);
      assert.ok(answered.every((r) => r.headers.authorization === `Bearer ${token}`));
      const notice = await shownMatching(recorder.shown, /refused the token \(HTTP 401\)/);
      assert.ok(notice.text.includes(otherAccount.id), notice.text);
    } finally {
      recorder.restore();
      await restartWith(api, 'model', undefined).catch(() => undefined);
      await restartWith(api, 'hub.token', undefined).catch(() => undefined);
      await restartWith(api, 'hub.endpoint', undefined).catch(() => undefined);
      await hub.close();
    }
    const status = (await api.ready()) as unknown as Status;
    assert.strictEqual(status.state, 'ready');
    assert.ok(!status.model.includes('bert-lens-test/'), `the bundled model is not back: ${status.model}`);
  });

  test('bertLens.trace.server: "verbose" traces each message with its parameters', async () => {
    const api = await readyApi();
    // vscode-languageclient writes traces to the log channel, and only while that channel is at
    // Trace level ("Developer: Set Log Level…"); the setting then picks how much it writes.
    const channel = (api.client as unknown as { traceOutputChannel: vscode.LogOutputChannel }).traceOutputChannel;
    assert.ok(channel && typeof channel.trace === 'function', 'the client has no trace channel');
    const lines: string[] = [];
    const original = channel.trace;
    channel.trace = (message: string, ...args: unknown[]) => {
      lines.push(String(message));
      return original.call(channel, message, ...args);
    };
    const levelBefore = await vscode.commands.executeCommand<string>('_extensionTests.getLogLevel');
    try {
      await vscode.commands.executeCommand('_extensionTests.setLogLevel', 'trace');
      await waitFor(() => channel.logLevel === vscode.LogLevel.Trace, 30_000, 'the BERT Lens log at Trace level');
      await setting('trace.server', 'verbose');
      let n = 0;
      const verbose = await waitFor(async () => {
        lines.length = 0;
        const text = `the verbose trace number ${++n} sat on the [MASK] .`;
        await predict(text);
        return lines.find((l) => l.includes("Sending request 'bertLens/fillMask") && l.includes('Params:') && l.includes(text));
      }, 30_000, 'a verbose trace of the fillMask request with its parameters');
      assert.match(verbose, /Params:/);

      await setting('trace.server', undefined);
      await waitFor(async () => {
        lines.length = 0;
        await predict(`the short trace number ${++n} sat on the [MASK] .`);
        const sent = lines.filter((l) => l.includes("Sending request 'bertLens/fillMask"));
        return sent.length > 0 && sent.every((l) => !l.includes('Params:'));
      }, 30_000, 'traces without parameters with the default bertLens.trace.server');
    } finally {
      await setting('trace.server', undefined);
      await vscode.commands.executeCommand('_extensionTests.setLogLevel', levelBefore || 'info');
      channel.trace = original;
    }
  });

  test('bertLens.diagnostics.debounceMs: a long debounce holds the scan after an edit back', async () => {
    await readyApi();
    const DEBOUNCE_MS = 4000;
    const SENTENCE = 'My sister lives in London with her husband and two bicycles.';
    const findings = (doc: vscode.TextDocument, line: number) =>
      vscode.languages
        .getDiagnostics(doc.uri)
        .filter((d) => d.source === 'BERT Lens' && d.range.start.line === line && doc.getText(d.range) === 'bicycles');
    await setting('diagnostics.enabled', true);
    await setting('diagnostics.debounceMs', DEBOUNCE_MS);
    try {
      // Opening scans at once; the debounce applies to edits.
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: `${SENTENCE}\n` });
      const editor = await showDocument(doc);
      await waitFor(() => findings(doc, 0).length > 0, 90_000, 'the finding in the opened document');

      const editedAt = Date.now();
      assert.ok(await editor.edit((edit) => edit.insert(doc.positionAt(doc.getText().length), `\n${SENTENCE}\n`)), 'the edit failed');
      // Wide margins on a slow machine: nothing for the first 1.5 s of a 4 s debounce.
      while (Date.now() - editedAt < 1500) {
        assert.strictEqual(findings(doc, 2).length, 0, `a finding ${Date.now() - editedAt} ms after the edit, with a ${DEBOUNCE_MS} ms debounce`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await waitFor(() => findings(doc, 2).length > 0, 90_000, 'the finding in the edited text', 100);
      const after = Date.now() - editedAt;
      assert.ok(after >= DEBOUNCE_MS - 500, `the edited text was scanned ${after} ms after the edit, before the ${DEBOUNCE_MS} ms debounce`);
    } finally {
      await setting('diagnostics.debounceMs', undefined);
      await setting('diagnostics.enabled', undefined);
    }
  });

  test('bertLens.comments.enabled: word hovers in TypeScript comments, never on code', async () => {
    const api = await readyApi();
    const source = ['// The cat sat on the mat in the sun.', 'const cat = Math.max(1, 2);', ''].join('\n');
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: source });
    await showDocument(doc);
    const inComment = new vscode.Position(0, 8); // "cat" in the comment
    const onCode = new vscode.Position(1, 7); // the identifier cat
    const hoverAt = async (at: vscode.Position) =>
      hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at));
    const BERT_HOVER = /`cat`: [\d.]+%, rank/;

    assert.strictEqual(config().get('comments.enabled'), false, 'comments are off by default');
    for (let i = 0; i < 3; i++) {
      const text = await hoverAt(inComment);
      assert.doesNotMatch(text, /%/, `a BERT Lens hover in a comment with bertLens.comments.enabled off: ${text}`);
    }
    await restartReady(api, 'comments.enabled', true);
    try {
      const text = await waitFor(async () => {
        const found = await hoverAt(inComment);
        return BERT_HOVER.test(found) ? found : undefined;
      }, 60_000, 'a word hover for "cat" in the comment');
      assert.ok((text.match(/^\| \d+ \| `[^`]+` \| [\d.]+% \|$/gm)?.length ?? 0) >= 2, `no alternatives in the hover:\n${text}`);
      for (let i = 0; i < 3; i++) {
        const code = await hoverAt(onCode);
        assert.doesNotMatch(code, /%|BERT Lens/, `a BERT Lens hover on code: ${code}`);
      }
    } finally {
      await restartReady(api, 'comments.enabled', undefined);
    }
  });
});
