// UI tests of what happens around the analyses: a hover over an ordinary word, an error
// notification with its actions (a Hub model that cannot be fetched offline, then "Select
// Model" from the notification back to the bundled one), and the panel coming back after the
// window reloads (WebviewPanelSerializer). Runs last: it reloads the window.
import assert from 'node:assert/strict';

const QUICK_INPUT = '.quick-input-widget';

function panelFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

export const tests = [
  {
    name: 'hover over a word lists whole-word alternatives with its rank',
    async run({ workbench }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('masks.md');
      const text = await workbench.hoverText('She opened the door and [MASK] into the room .', 'door', { mustContain: 'rank' });
      await workbench.screenshot('hover-word-door');
      assert.match(text, /door/);
      assert.match(text, /\d%/);
      await workbench.page.mouse.move(5, 5);
    },
  },
  {
    name: 'Import Model with an unreachable Hub id: error with actions, then Select Model from it',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      await workbench.runCommand('BERT Lens: Import Model from Hugging Face…');
      const input = page.locator(`${QUICK_INPUT} input`);
      await input.waitFor({ state: 'visible' });
      await input.fill('not valid!');
      await page.locator(`${QUICK_INPUT} .quick-input-message`, { hasText: /Hub id/ }).waitFor();
      await workbench.screenshot('import-model-invalid-id');
      await input.fill('bert-lens-test/no-such-model');
      await input.press('Enter');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /could not be loaded/ }).first();
      await toast.waitFor({ state: 'visible', timeout: 180_000 });
      await workbench.screenshot('import-model-error-with-actions');
      const buttons = await toast.locator('.monaco-button').allInnerTexts();
      for (const action of ['Show Log', 'Select Model', 'Restart Server']) {
        assert.ok(buttons.some((b) => b.trim() === action), `the error offers no "${action}": ${buttons}`);
      }
      await toast.locator('.monaco-button', { hasText: 'Select Model' }).click();
      const row = page.locator(`${QUICK_INPUT} .monaco-list-row`, { has: page.locator('.label-name', { hasText: /tiny-random/ }) }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      await row.click();
      await workbench.notification(/now using tiny-random/, { timeoutMs: 120_000 });
      await workbench.statusBarItem(/tiny-random · /);
    },
  },
  {
    name: 'the panel is restored after the window reloads',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('masks.md');
      await workbench.selectText('Paris is the [MASK] of France .');
      await workbench.runCommand('BERT Lens: Open Panel');
      const before = panelFrame(page);
      await before.locator('#section-masks[data-state="data"]').waitFor({ timeout: 60_000 });
      await workbench.runCommand('Developer: Reload Window');
      await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      const after = panelFrame(page);
      await after.locator('#source', { hasText: 'Paris is the [MASK] of France' }).waitFor({ timeout: 90_000 });
      await after.locator('#section-masks[data-state="data"]').waitFor({ timeout: 90_000 });
      await workbench.screenshot('panel-after-reload');
      assert.ok((await after.locator('#section-masks .bar-row').count()) > 0);
    },
  },
];
