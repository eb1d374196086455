// Server lifecycle: a killed language server is restarted by the client (new pid, predictions
// work again), and bertLens.restartServer replaces the process too. Waits poll with deadlines.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { BertLensApi, assertWellFormedPredictions, isProcessAlive, predict, readyApi, waitFor } from './bert-lens';

const SENTENCE = 'the cat sat on the [MASK] .';

async function newLiveServerPid(api: BertLensApi, oldPid: number): Promise<number> {
  return waitFor(
    () => {
      const pid = api.serverPid();
      return pid !== undefined && pid !== oldPid && isProcessAlive(pid) ? pid : undefined;
    },
    60_000,
    `a new server process replacing ${oldPid}`,
  );
}

async function predictionsWorkAgain(): Promise<void> {
  const result = await waitFor(() => predict(SENTENCE), 90_000, 'predictions after the restart', 500);
  assert.strictEqual(result.masks.length, 1);
  assertWellFormedPredictions(result.masks[0].predictions, 'after restart');
}

suite('server restart', () => {
  test('a killed server is restarted and predictions work again', async () => {
    const api = await readyApi();
    const oldPid = api.serverPid();
    assert.ok(oldPid, 'no server pid before the kill');
    process.kill(oldPid); // SIGTERM, as an outside kill would send
    await waitFor(() => !isProcessAlive(oldPid), 10_000, `process ${oldPid} to end`);
    const newPid = await newLiveServerPid(api, oldPid);
    assert.notStrictEqual(newPid, oldPid);
    await predictionsWorkAgain();
  });

  test('bertLens.restartServer starts a new server process', async () => {
    const api = await readyApi();
    const oldPid = api.serverPid();
    assert.ok(oldPid, 'no server pid before the restart');
    await vscode.commands.executeCommand('bertLens.restartServer');
    const newPid = await newLiveServerPid(api, oldPid);
    await waitFor(() => !isProcessAlive(oldPid), 15_000, `old server ${oldPid} to exit after restart`);
    assert.ok(isProcessAlive(newPid));
    await predictionsWorkAgain();
  });
});
