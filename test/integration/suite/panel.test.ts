// The BERT Lens panel: Open Panel and Analyze Document draw every section in the real webview
// (the webview reports back what it drew), with the same numbers the commands give; the panel
// follows the editor selection when pinned.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { BertLensApi, FillMaskResult, closeAllEditors, predict, readyApi, showDocument, waitFor, workspaceFile } from './bert-lens';

type SectionId = 'input' | 'masks' | 'coherence' | 'labels' | 'unlikely' | 'attention';
type Section = { state: 'data'; data: any } | { state: 'error' | 'skipped'; message: string };
interface PanelOutcome {
  analysis?: Partial<Record<SectionId, Section>>;
  rendered?: Partial<Record<SectionId, { state: string; summary: string }>>;
}
type PanelApi = BertLensApi & { panelState(): { text?: string; pinned: boolean } | undefined };

const SECTIONS: SectionId[] = ['input', 'masks', 'coherence', 'labels', 'unlikely', 'attention'];

function dataOf(outcome: PanelOutcome, id: SectionId): any {
  const section = outcome.analysis?.[id];
  assert.ok(section, `section ${id} missing`);
  assert.strictEqual(section.state, 'data', `section ${id}: ${section.state === 'data' ? '' : section.message}`);
  return (section as { data: unknown }).data;
}

function assertEverySectionDrawn(outcome: PanelOutcome): void {
  for (const id of SECTIONS) {
    const drawn = outcome.rendered?.[id];
    assert.ok(drawn, `the webview did not report drawing ${id}`);
    assert.notStrictEqual(drawn.state, 'loading', `${id} is still loading`);
    assert.ok(drawn.summary.trim().length > 0, `${id} drew nothing to read (state ${drawn.state})`);
    assert.strictEqual(drawn.state, outcome.analysis?.[id]?.state, `${id}: drawn ${drawn.state}, computed ${outcome.analysis?.[id]?.state}`);
  }
}

suite('panel', () => {
  suiteSetup(async () => {
    await readyApi();
  });
  suiteTeardown(closeAllEditors);

  test('Open Panel on text with a [MASK] draws every section', async () => {
    const text = 'The cat sat on the [MASK] . It was tired after the long day .';
    const outcome = await vscode.commands.executeCommand<PanelOutcome>('bertLens.openPanel', { text, waitForRender: true });
    assert.ok(outcome, 'no outcome');
    assertEverySectionDrawn(outcome);

    const input = dataOf(outcome, 'input');
    assert.strictEqual(input.tokens[0], '[CLS]');
    assert.strictEqual(input.tokens[input.tokens.length - 1], '[SEP]');
    assert.strictEqual(input.ids.length, input.tokens.length);
    assert.strictEqual(input.typeIds.length, input.tokens.length);
    assert.ok(input.attentionMask.every((m: number) => m === 1));
    assert.ok(outcome.rendered!.input!.summary.includes('[CLS]'), outcome.rendered!.input!.summary);

    const masks = dataOf(outcome, 'masks') as FillMaskResult;
    const direct = await predict(text);
    assert.ok(direct);
    assert.strictEqual(masks.masks[0].predictions[0].token, direct.masks[0].predictions[0].token);
    assert.ok(outcome.rendered!.masks!.summary.startsWith(direct.masks[0].predictions[0].token), outcome.rendered!.masks!.summary);

    const coherence = dataOf(outcome, 'coherence');
    assert.strictEqual(coherence.boundaries.length, 1);
    assert.strictEqual(outcome.analysis!.unlikely!.state, 'skipped', 'unlikely words are only listed by Analyze Document');

    // Attention may be unavailable for some models; then the section says why.
    const attention = outcome.analysis!.attention!;
    if (attention.state === 'data') {
      assert.ok(attention.data.layers >= 1 && attention.data.heads >= 1);
      const row = attention.data.attentions[0][0][0] as number[];
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3, 'attention rows must sum to 1');
    } else {
      assert.ok(attention.message.length > 0);
    }
  });

  test('Open Panel without a [MASK] says so in the mask section', async () => {
    const outcome = await vscode.commands.executeCommand<PanelOutcome>('bertLens.openPanel', { text: 'No masks here at all.', waitForRender: true });
    assert.strictEqual(outcome.analysis?.masks?.state, 'skipped');
    assert.match(outcome.rendered!.masks!.summary, /\[MASK\]/);
    assert.strictEqual(outcome.analysis?.input?.state, 'data');
    // One sentence: no boundary to score, said as a note rather than an error.
    assert.strictEqual(outcome.analysis?.coherence?.state, 'skipped');
    assert.match(outcome.rendered!.coherence!.summary, /two sentences/);
  });

  test('Analyze Document lists unlikely words and scores coherence in the panel', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceFile('essay.md'));
    await showDocument(doc);
    const outcome = await vscode.commands.executeCommand<PanelOutcome>('bertLens.analyzeDocument', { waitForRender: true });
    assert.ok(outcome, 'no outcome');
    assertEverySectionDrawn(outcome);
    const unlikely = dataOf(outcome, 'unlikely');
    assert.ok(unlikely.scannedWords > 50, `only ${unlikely.scannedWords} words scanned`);
    for (const word of unlikely.words) {
      assert.strictEqual(doc.getText().slice(word.range[0], word.range[1]), word.text, 'word range does not point at the word');
    }
    const coherence = dataOf(outcome, 'coherence');
    assert.ok(coherence.boundaries.length >= 9);
  });

  test('a pinned panel follows the editor selection', async () => {
    const api = (await readyApi()) as PanelApi;
    await closeAllEditors(); // a fresh panel starts pinned as the setting says
    await vscode.commands.executeCommand('bertLens.openPanel', { text: 'Start here.' });
    const state = api.panelState();
    assert.ok(state, 'no panel');
    assert.strictEqual(state.pinned, vscode.workspace.getConfiguration('bertLens').get('panel.followSelection'));
    if (!state.pinned) return;
    const doc = await vscode.workspace.openTextDocument(workspaceFile('notes.txt'));
    const line = doc.lineAt(2);
    const editor = await showDocument(doc, new vscode.Selection(line.range.start, line.range.end));
    await waitFor(() => api.panelState()?.text === line.text, 10_000, 'the panel to follow the selection');
  });
});
