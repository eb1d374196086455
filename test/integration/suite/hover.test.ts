// Hovers over [MASK] in markdown and plain-text workspace files list the model's predictions
// with percentages, and agree with the prediction command's top token for the same sentence.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { closeAllEditors, predict, readyApi, showDocument, waitFor, workspaceFile } from './bert-lens';

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n');
}

/** Hover text at the first [MASK] of `sentence` in workspace file `name` (polls until non-empty). */
async function hoverOverMask(name: string, sentence: string): Promise<string> {
  const doc = await vscode.workspace.openTextDocument(workspaceFile(name));
  await showDocument(doc);
  const sentenceAt = doc.getText().indexOf(sentence);
  assert.ok(sentenceAt >= 0, `examples/${name} lost the sentence ${JSON.stringify(sentence)}`);
  const inside = doc.positionAt(sentenceAt + sentence.indexOf('[MASK]') + 2);
  return waitFor(
    async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, inside);
      const text = hoverText(hovers ?? []);
      return text.includes('%') ? text : undefined;
    },
    30_000,
    `a hover with percentages over [MASK] in ${name}`,
  );
}

function percentages(text: string): number[] {
  return [...text.matchAll(/(\d+(?:\.\d+)?)\s*%/g)].map((match) => Number(match[1]));
}

suite('hover over [MASK]', () => {
  suiteSetup(async () => {
    await readyApi();
  });
  teardown(closeAllEditors);

  test('markdown: lists predictions with percentages', async () => {
    const sentence = 'Paris is the [MASK] of France .';
    const text = await hoverOverMask('masks.md', sentence);
    const values = percentages(text);
    assert.ok(values.length >= 2, `expected several percentages in the hover, got: ${text}`);
    for (const value of values) assert.ok(value >= 0 && value <= 100, `percentage ${value} out of range`);
    const direct = await predict(sentence);
    assert.ok(direct, 'the command gave no result for the hovered sentence');
    const top = direct.masks[0].predictions[0].token;
    assert.ok(text.includes(top), `hover does not mention the command's top token ${JSON.stringify(top)}:\n${text}`);
  });

  test('plain text: lists predictions with percentages', async () => {
    const text = await hoverOverMask('notes.txt', 'I went to the [MASK] to buy some bread and milk.');
    assert.ok(percentages(text).length >= 2, `expected several percentages in the hover, got: ${text}`);
  });
});
