// Activation: the extension loads in a real extension host, returns its API, starts its
// language server as a separate live process and registers its commands.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, isProcessAlive, readyApi } from './bert-lens';

suite('activation', () => {
  test('activates and returns the API; ready() resolves with a live server process', async () => {
    const api = await readyApi();
    assert.strictEqual(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    assert.strictEqual(typeof api.ready, 'function');
    assert.strictEqual(typeof api.serverPid, 'function');
    assert.ok(api.client, 'api.client is missing');
    if (typeof api.client.isRunning === 'function') {
      assert.strictEqual(api.client.isRunning(), true, 'language client is not running');
    }
    const pid = api.serverPid();
    assert.ok(typeof pid === 'number' && pid > 0, `serverPid() = ${pid}`);
    assert.notStrictEqual(pid, process.pid, 'the server must run in its own process');
    assert.ok(isProcessAlive(pid), `server process ${pid} is not alive`);
  });

  test('registers its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['bertLens.predictMaskedWords', 'bertLens.restartServer', 'bertLens.showLog']) {
      assert.ok(commands.includes(id), `command ${id} is not registered`);
    }
  });

  test('bertLens.showLog runs', async () => {
    await readyApi();
    await vscode.commands.executeCommand('bertLens.showLog');
  });
});
