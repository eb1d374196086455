// More settings take effect after the restart they cause: bertLens.topK sets how many
// predictions each [MASK] gets, bertLens.maxTextLength refuses longer text with an error
// notification, bertLens.executionProvider = cpu runs the model on the CPU.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { BertLensApi, isProcessAlive, predict, readyApi, recordErrors, shownMatching, waitFor } from './bert-lens';

interface Status {
  state: string;
  executionProvider: string | null;
}

/** Changes a user setting, waits for the server it restarts, and returns its status. */
async function restartWith(api: BertLensApi, key: string, value: unknown): Promise<Status> {
  const before = api.serverPid();
  await vscode.workspace.getConfiguration('bertLens').update(key, value, vscode.ConfigurationTarget.Global);
  await waitFor(() => {
    const pid = api.serverPid();
    return pid !== undefined && pid !== before && isProcessAlive(pid);
  }, 60_000, `a server restarted after changing ${key}`);
  return (await api.ready()) as unknown as Status;
}

suite('settings that restart the server', () => {
  test('bertLens.topK: how many predictions each [MASK] gets', async () => {
    const api = await readyApi();
    try {
      await restartWith(api, 'topK', 3);
      const result = await predict('the cat sat on the [MASK] .');
      assert.strictEqual(result?.masks[0].predictions.length, 3);
    } finally {
      await restartWith(api, 'topK', undefined);
    }
    assert.strictEqual((await predict('the cat sat on the [MASK] .'))?.masks[0].predictions.length, 5, 'the default is 5');
  });

  test('bertLens.maxTextLength: longer text is refused with an error notification', async () => {
    const api = await readyApi();
    const recorder = recordErrors();
    try {
      await restartWith(api, 'maxTextLength', 100);
      const long = `${'the cat sat on the mat . '.repeat(6)}the dog sat on the [MASK] .`;
      assert.ok(long.length > 100);
      assert.strictEqual(await predict(long), undefined);
      await shownMatching(recorder.shown, /characters long; the limit is 100/);
      assert.ok(await predict('the dog sat on the [MASK] .'), 'short text still works');
    } finally {
      recorder.restore();
      await restartWith(api, 'maxTextLength', undefined);
    }
  });

  test('bertLens.executionProvider = cpu runs the model on the CPU', async () => {
    const api = await readyApi();
    try {
      const status = await restartWith(api, 'executionProvider', 'cpu');
      assert.strictEqual(status.state, 'ready');
      assert.strictEqual(status.executionProvider, 'cpu');
      assert.ok(await predict('the cat sat on the [MASK] .'));
    } finally {
      await restartWith(api, 'executionProvider', undefined);
    }
  });
});
