// Settings take effect: `bertLens.languages` decides which documents get hovers (the server is
// restarted with a new document selector), `bertLens.hover.enabled` turns hovers off, and the
// Select Model command switches the model in user settings and waits until it is loaded.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { BertLensApi, closeAllEditors, isProcessAlive, readyApi, showDocument, waitFor, workspaceFile } from './bert-lens';

const config = () => vscode.workspace.getConfiguration('bertLens');

/** A prose line of each example (masks.md's first [MASK] is in inline code, which gets no hover). */
const MASK_LINES: Record<string, string> = {
  'masks.md': 'Paris is the [MASK] of France .',
  'notes.txt': 'I went to the [MASK] to buy some bread and milk.',
};

async function hoverAtMask(name: string): Promise<string> {
  const doc = await vscode.workspace.openTextDocument(workspaceFile(name));
  await showDocument(doc);
  const line = doc.getText().indexOf(MASK_LINES[name]);
  assert.ok(line >= 0, `examples/${name} lost the line ${MASK_LINES[name]}`);
  const at = doc.positionAt(line + MASK_LINES[name].indexOf('[MASK]') + 2);
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at)) ?? [];
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

/** Changes a user setting and waits for the server process it restarts to be ready. */
async function updateAndWaitForRestart(api: BertLensApi, key: string, value: unknown): Promise<void> {
  const before = api.serverPid();
  await config().update(key, value, vscode.ConfigurationTarget.Global);
  await waitFor(() => {
    const pid = api.serverPid();
    return pid !== undefined && pid !== before && isProcessAlive(pid);
  }, 60_000, `a server restarted after changing ${key}`);
  await api.ready();
}

suite('settings', () => {
  teardown(closeAllEditors);

  test('bertLens.languages decides which documents get hovers', async () => {
    const api = await readyApi();
    assert.ok((await waitFor(async () => (await hoverAtMask('notes.txt')).includes('%'), 30_000, 'a plain-text hover')));
    await updateAndWaitForRestart(api, 'languages', ['markdown']);
    try {
      await waitFor(async () => (await hoverAtMask('masks.md')).includes('%'), 30_000, 'a markdown hover after the change');
      assert.ok(!(await hoverAtMask('notes.txt')).includes('%'), 'plain text still gets hovers without being in bertLens.languages');
    } finally {
      await updateAndWaitForRestart(api, 'languages', undefined);
    }
    await waitFor(async () => (await hoverAtMask('notes.txt')).includes('%'), 30_000, 'plain-text hovers back');
  });

  test('bertLens.hover.enabled = false turns hovers off', async () => {
    const api = await readyApi();
    await updateAndWaitForRestart(api, 'hover.enabled', false);
    try {
      // Give the server the same chance it has when hovers are on.
      for (let i = 0; i < 3; i++) assert.ok(!(await hoverAtMask('masks.md')).includes('%'), 'a hover appeared although hovers are off');
    } finally {
      await updateAndWaitForRestart(api, 'hover.enabled', undefined);
    }
    await waitFor(async () => (await hoverAtMask('masks.md')).includes('%'), 30_000, 'hovers back on');
  });

  test('Select Model switches to a bundled model in user settings and waits until it is ready', async () => {
    const api = await readyApi();
    const before = api.serverPid();
    try {
      const status = await vscode.commands.executeCommand<{ state: string; model: string; pid: number }>('bertLens.selectModel', { model: 'tiny-random' });
      assert.ok(status, 'Select Model returned nothing');
      assert.strictEqual(status.state, 'ready');
      assert.strictEqual(config().inspect('model')?.globalValue, 'tiny-random');
      assert.notStrictEqual(status.pid, before, 'the server was not restarted');
      assert.strictEqual(api.serverPid(), status.pid);
    } finally {
      await config().update('model', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor(() => api.serverPid() !== undefined, 60_000, 'the server after restoring the model');
    await api.ready();
  });

  test('Select Model with a missing folder reports the error and leaves the server usable after switching back', async () => {
    const api = await readyApi();
    try {
      const status = await vscode.commands.executeCommand('bertLens.selectModel', { model: '/no/such/model/folder' });
      assert.strictEqual(status, undefined, 'a missing model folder must not report success');
    } finally {
      await vscode.commands.executeCommand('bertLens.selectModel', { model: '' });
    }
    const status = await api.ready();
    assert.ok(status);
    assert.strictEqual(config().inspect('model')?.globalValue ?? '', '', 'the default model is the absence of the user setting');
  });
});
