// Bad input: predicting on a 1 MB selection fails with a clear error (thrown or shown, never a
// result), leaves the document exactly as it was, and the server stays up and usable.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { FillMaskResult, assertWellFormedPredictions, closeAllEditors, isProcessAlive, predict, readyApi, showDocument } from './bert-lens';

const CLEAR_SIZE_ERROR = /too (large|long|big)|limit|exceed|maximum|size|characters|bytes|\bMB\b|\bKB\b/i;

suite('bad input', () => {
  teardown(closeAllEditors);

  test('a 1 MB selection gives a clear error and leaves the document unchanged', async () => {
    const api = await readyApi();
    const pidBefore = api.serverPid();
    const line = 'the cat sat on the [MASK] and looked out of the window .\n';
    const content = line.repeat(Math.ceil((1024 * 1024) / line.length));
    assert.ok(content.length >= 1024 * 1024);
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content });
    const editor = await showDocument(doc, new vscode.Selection(doc.positionAt(0), doc.positionAt(content.length)));
    const versionBefore = doc.version;

    let result: FillMaskResult | undefined;
    let thrown: unknown;
    try {
      result = await vscode.commands.executeCommand<FillMaskResult>('bertLens.predictMaskedWords');
    } catch (error) {
      thrown = error;
    }
    if (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      assert.match(message, CLEAR_SIZE_ERROR, `the error does not say what is wrong: ${message}`);
    } else {
      assert.strictEqual(result, undefined, 'a 1 MB selection must not produce a prediction result');
    }
    assert.strictEqual(doc.version, versionBefore, 'document version changed');
    assert.ok(doc.getText() === content, 'document text changed');

    // The server survived and still answers.
    assert.strictEqual(api.serverPid(), pidBefore, 'the server was restarted by the bad input');
    assert.ok(pidBefore !== undefined && isProcessAlive(pidBefore));
    const after = await predict('the cat sat on the [MASK] .');
    assert.ok(after, 'no prediction after the bad input');
    assertWellFormedPredictions(after.masks[0].predictions, 'after bad input');
  });

  test('a 1 MB text argument is refused the same way', async () => {
    await readyApi();
    const text = 'word [MASK] '.repeat(100_000);
    let result: FillMaskResult | undefined;
    let thrown: unknown;
    try {
      result = await predict(text);
    } catch (error) {
      thrown = error;
    }
    if (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      assert.match(message, CLEAR_SIZE_ERROR, `the error does not say what is wrong: ${message}`);
    } else {
      assert.strictEqual(result, undefined, 'a 1 MB text must not produce a prediction result');
    }
  });
});
