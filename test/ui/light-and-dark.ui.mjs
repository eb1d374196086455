// Every surface in a light and a dark theme, with real model output: the panel after Analyze
// Document on notes.txt (all six sections drawn with data: word pieces, mask bars, classifier
// labels, coherence chart, unlikely words, attention heatmap), a hover over [MASK] and the
// editor's right-click "BERT Lens" submenu. The quick-fix menu's light and dark screenshots are
// in quick-fix.ui.mjs. Screenshots: test-results/screenshots/NN-light-*.png and NN-dark-*.png.
import assert from 'node:assert/strict';
import { settled } from './workbench.mjs';

const SECTIONS = ['input', 'masks', 'labels', 'coherence', 'unlikely', 'attention'];
const THEMES = [
  ['Light Modern', 'light', /vscode-light/],
  ['Dark Modern', 'dark', /vscode-dark/],
];
const MASK_LINE = 'I went to the [MASK] to buy some bread and milk.';
const MENU_LINE = 'The doctor told him to take the [MASK] twice a day.';

/** Runs Analyze Document on notes.txt and waits until every section shows data. */
async function analyzeNotes(workbench) {
  // One editor group with notes.txt, the panel beside it: earlier tests leave other layouts.
  await workbench.runCommand('View: Close All Editors');
  await workbench.quickOpen('notes.txt');
  await workbench.runCommand('BERT Lens: Analyze Document');
  const frame = workbench.panelFrame();
  await frame.locator('#source', { hasText: 'notes.txt' }).waitFor({ timeout: 60_000 });
  for (const id of SECTIONS) {
    await frame.locator(`#section-${id}:not([data-state="loading"]):not([data-state="empty"])`).waitFor({ timeout: 120_000 });
    const state = await frame.locator(`#section-${id}`).getAttribute('data-state');
    const text = (await frame.locator(`#body-${id}`).innerText()).trim();
    assert.equal(state, 'data', `section ${id} shows no data: ${text}`);
  }
  assert.ok((await frame.locator('#section-masks .bar-row').count()) >= 3, 'too few mask bars');
  assert.ok((await frame.locator('#section-labels .bar-row').count()) >= 2, 'too few label bars');
  assert.ok((await frame.locator('#section-coherence svg circle').count()) >= 2, 'too few coherence points');
  assert.ok((await frame.locator('#section-unlikely table tr').count()) >= 2, 'no unlikely words listed');
  assert.ok((await frame.locator('#section-attention rect.cell').count()) > 0, 'no attention cells');
  return frame;
}

export const tests = [
  {
    name: 'light and dark: the panel with every section, a hover and the BERT Lens menu',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      const frame = await analyzeNotes(workbench);
      try {
        for (const [theme, prefix, bodyClass] of THEMES) {
          await workbench.setTheme(theme);
          assert.match((await frame.locator('body').getAttribute('class')) ?? '', bodyClass);
          for (const id of SECTIONS) {
            await frame.locator(`#section-${id}`).evaluate((e) => e.scrollIntoView({ block: 'start' }));
            await workbench.screenshot(`${prefix}-panel-${id}`);
          }
          const hover = await workbench.hoverText(MASK_LINE, '[MASK]', { mustContain: '%' });
          assert.ok((hover.match(/%/g) ?? []).length >= 2, `hover: ${hover}`);
          await workbench.screenshot(`${prefix}-hover`);
          await page.mouse.move(5, 5);
          await page.keyboard.press('Escape');

          const rect = await workbench.selectText(MENU_LINE);
          const item = await workbench.openContextMenu(rect.x + rect.width / 2, rect.y + rect.height / 2, ['BERT Lens', 'Predict Masked Words']);
          await settled(item);
          await workbench.screenshot(`${prefix}-context-menu`);
          for (let i = 0; i < 2; i++) await page.keyboard.press('Escape');
          // After a context menu the editor shows no hover until it is clicked, as a person would.
          const first = await workbench.textRect('Plain-text notes', 'notes');
          await page.mouse.click(first.x + 2, first.y + first.height / 2);
        }
      } finally {
        await workbench.setTheme('Dark Modern').catch(() => {});
      }
    },
  },
];
