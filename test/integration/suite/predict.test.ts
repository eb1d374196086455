// bertLens.predictMaskedWords: on given text and on the editor's selection it returns one
// entry per [MASK], in order, with probability-sorted predictions; without a [MASK] or a
// selection it returns undefined and changes nothing.
import * as assert from 'assert';
import * as vscode from 'vscode';
import {
  FillMaskResult,
  assertWellFormedPredictions,
  closeAllEditors,
  maskOffsets,
  predict,
  readyApi,
  showDocument,
  workspaceFile,
} from './bert-lens';

/**
 * `range` holds offsets into the text predicted on; for a selection, offsets into the document
 * (selection start + offset) are accepted too.
 */
function assertResultFor(text: string, result: FillMaskResult | undefined, selectionStart = 0): FillMaskResult {
  assert.ok(result, `no result for ${JSON.stringify(text)}`);
  const offsets = maskOffsets(text);
  assert.strictEqual(result.masks.length, offsets.length, 'one entry per [MASK]');
  result.masks.forEach((mask, i) => {
    assert.ok(Array.isArray(mask.range) && mask.range.length === 2, `masks[${i}].range = ${JSON.stringify(mask.range)}`);
    const inText = [offsets[i], offsets[i] + '[MASK]'.length];
    const inDocument = inText.map((offset) => offset + selectionStart);
    assert.ok(
      (mask.range[0] === inText[0] && mask.range[1] === inText[1]) ||
        (mask.range[0] === inDocument[0] && mask.range[1] === inDocument[1]),
      `masks[${i}].range ${JSON.stringify(mask.range)} does not point at its [MASK] (${inText} in the text)`,
    );
    assertWellFormedPredictions(mask.predictions, `masks[${i}].predictions`);
  });
  assert.ok(typeof result.latencyMs === 'number' && result.latencyMs >= 0, `latencyMs = ${result.latencyMs}`);
  assert.strictEqual(result.truncated, false);
  return result;
}

suite('predictMaskedWords', () => {
  suiteSetup(async () => {
    await readyApi();
  });
  teardown(closeAllEditors);

  test('one [MASK] in given text', async () => {
    const text = 'the cat sat on the [MASK] .';
    assertResultFor(text, await predict(text));
  });

  test('two [MASK]s come back in order', async () => {
    const text = 'the [MASK] was shining and the birds were [MASK] .';
    const result = assertResultFor(text, await predict(text));
    assert.ok(result.masks[0].range[0] < result.masks[1].range[0]);
  });

  test('the same input gives the same predictions', async () => {
    const text = 'paris is the [MASK] of france .';
    const first = assertResultFor(text, await predict(text));
    const second = assertResultFor(text, await predict(text));
    assert.deepStrictEqual(
      second.masks[0].predictions.map((p) => p.id),
      first.masks[0].predictions.map((p) => p.id),
    );
    for (const [i, p] of second.masks[0].predictions.entries()) {
      assert.ok(Math.abs(p.score - first.masks[0].predictions[i].score) < 1e-5, `score ${i} differs`);
    }
  });

  test('uses the active editor selection when called without arguments', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceFile('masks.md'));
    const editor = await showDocument(doc);
    const sentence = 'The cat sat on the [MASK] .';
    const start = doc.getText().indexOf(sentence);
    assert.ok(start >= 0, 'examples/masks.md lost its example sentence');
    editor.selection = new vscode.Selection(doc.positionAt(start), doc.positionAt(start + sentence.length));
    const versionBefore = doc.version;
    const textBefore = doc.getText();

    const result = await vscode.commands.executeCommand<FillMaskResult>('bertLens.predictMaskedWords');
    assertResultFor(sentence, result, start);
    // The selection-based answer matches the text-based one.
    const direct = assertResultFor(sentence, await predict(sentence));
    assert.strictEqual(result!.masks[0].predictions[0].id, direct.masks[0].predictions[0].id);
    assert.strictEqual(doc.version, versionBefore, 'the command edited the document');
    assert.strictEqual(doc.getText(), textBefore);
  });

  test('without a [MASK] it returns undefined and changes nothing', async () => {
    assert.strictEqual(await predict('there is nothing to predict here .'), undefined);

    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'no masks in this line .' });
    const editor = await showDocument(doc, new vscode.Selection(0, 0, 0, doc.lineAt(0).text.length));
    const versionBefore = doc.version;
    assert.strictEqual(await vscode.commands.executeCommand('bertLens.predictMaskedWords'), undefined);
    assert.strictEqual(doc.version, versionBefore);
    assert.strictEqual(doc.getText(), 'no masks in this line .');
  });

  test('with an empty selection and no [MASK] at the cursor it returns undefined', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'just words\nmore words' });
    const editor = await showDocument(doc, new vscode.Selection(1, 2, 1, 2));
    const versionBefore = doc.version;
    assert.strictEqual(await vscode.commands.executeCommand('bertLens.predictMaskedWords'), undefined);
    assert.strictEqual(doc.version, versionBefore);
  });
});
