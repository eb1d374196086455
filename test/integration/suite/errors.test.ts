// No command fails silently: a model that cannot load, a stopped server, a file that is not
// labelled data and an unknown example each end in an error notification offering Show Log,
// Select Model and Restart Server (read by wrapping vscode.window.showErrorMessage, which the
// extension shares with these tests), and the command returns nothing instead of throwing.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { BertLensApi, ERROR_ACTIONS, closeAllEditors, isProcessAlive, predict, readyApi, recordErrors, shownMatching, waitFor, workspaceFile } from './bert-lens';

/** Changes `bertLens.model` and waits until a new server process has started. */
async function switchModelSetting(api: BertLensApi, value: string | undefined): Promise<void> {
  const before = api.serverPid();
  await vscode.workspace.getConfiguration('bertLens').update('model', value, vscode.ConfigurationTarget.Global);
  await waitFor(() => {
    const pid = api.serverPid();
    return pid !== undefined && pid !== before && isProcessAlive(pid);
  }, 60_000, 'a server restarted for the new model');
}

suite('errors are notifications with actions', () => {
  let recorder: ReturnType<typeof recordErrors>;
  setup(() => (recorder = recordErrors()));
  teardown(async () => {
    recorder.restore();
    await closeAllEditors();
  });

  test('a model folder that is not a model: a notification at load, and Classify Selection reports it too', async () => {
    const api = await readyApi();
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-lens-not-a-model-'));
    fs.writeFileSync(path.join(folder, 'README.txt'), 'not a model');
    try {
      await switchModelSetting(api, folder);
      await assert.rejects(Promise.resolve(api.ready()), 'a folder without a model must not load');
      await shownMatching(recorder.shown, /could not be loaded/);
      const result = await vscode.commands.executeCommand('bertLens.classifySelection', { text: 'The battery died after a day.', head: 'model' });
      assert.strictEqual(result, undefined);
      assert.ok(recorder.shown.length >= 2, `Classify Selection failed silently: ${JSON.stringify(recorder.shown)}`);
      assert.deepStrictEqual(recorder.shown.at(-1)!.actions, ERROR_ACTIONS);
    } finally {
      await switchModelSetting(api, undefined);
      fs.rmSync(folder, { recursive: true, force: true });
    }
    await api.ready();
  });

  test('a stopped server: Predict Masked Words says so with actions; Restart Server brings it back', async () => {
    const api = await readyApi();
    const client = api.client as unknown as { stop(): Promise<void> };
    await client.stop();
    assert.strictEqual(await predict('the cat sat on the [MASK] .'), undefined);
    await shownMatching(recorder.shown, /stopped/);
    await vscode.commands.executeCommand('bertLens.restartServer');
    await api.ready();
    assert.ok(await predict('the cat sat on the [MASK] .'), 'no prediction after Restart Server');
  });

  test('Train Classifier from File… on a file that is not labelled data shows the error', async () => {
    await readyApi();
    const file = workspaceFile('masks.md');
    const result = await vscode.commands.executeCommand('bertLens.trainClassifier', { file, name: 'integration-not-data' });
    assert.strictEqual(result, undefined);
    await shownMatching(recorder.shown, /./);
    assert.ok(!fs.existsSync(workspaceFile('.bert-lens/heads/integration-not-data.json').fsPath), 'a head was saved from bad data');
  });

  test('Open Example opens a bundled example; an unknown name is an error with actions', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('bertLens.openExample', 'essay.md');
    assert.ok(editor, 'no editor');
    assert.ok(editor.document.uri.path.endsWith('/examples/essay.md'), editor.document.uri.toString());
    assert.match(editor.document.getText(), /Why cities plant trees/);
    assert.strictEqual(await vscode.commands.executeCommand('bertLens.openExample', '../package.json'), undefined);
    await shownMatching(recorder.shown, /no such example/);
  });
});
