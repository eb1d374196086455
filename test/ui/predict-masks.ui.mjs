// UI tests of masked-word prediction, as a person uses it: the status bar, the editor's
// right-click "BERT Lens" submenu, the command palette, the hover over [MASK], and the warning
// for a selection without [MASK]. Expected tokens come from the CLI (`node dist/cli.js
// fill-mask --json`), which runs the same engine and default model outside VS Code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Top predicted token per [MASK] for `text`, from the CLI. */
function cliTopTokens(paths, text) {
  const json = execFileSync(process.execPath, [join(paths.repoRoot, 'dist', 'cli.js'), 'fill-mask', '--json', text], {
    cwd: paths.repoRoot,
    encoding: 'utf8',
  });
  return JSON.parse(json).masks.map((mask) => mask.predictions[0].token);
}

const PREDICTION_MESSAGE = /BERT Lens: \[MASK\]/;

export const tests = [
  {
    name: 'the status bar shows the loaded model',
    async run({ workbench }) {
      await workbench.quickOpen('masks.md');
      await workbench.screenshot('masks-md-open');
      const text = await workbench.statusBarItem(/ · (cpu|webgpu|cuda|dml|coreml)/);
      await workbench.screenshot('status-bar-model');
      assert.match(text, /\S+ · (cpu|webgpu|cuda|dml|coreml)/);
    },
  },
  {
    name: 'right-click > BERT Lens > Predict Masked Words on a selected sentence',
    async run({ workbench, paths }) {
      const sentence = 'The cat sat on the [MASK] .';
      await workbench.clearNotifications();
      await workbench.quickOpen('masks.md');
      const rect = await workbench.selectText(sentence);
      await workbench.screenshot('sentence-selected');
      await workbench.contextMenu(rect.x + rect.width / 2, rect.y + rect.height / 2, ['BERT Lens', 'Predict Masked Words'], {
        beforeClick: () => workbench.screenshot('context-menu-bert-lens-submenu'),
      });
      const message = await workbench.notification(PREDICTION_MESSAGE);
      await workbench.screenshot('prediction-notification');
      assert.match(message, /^BERT Lens: \[MASK\] → /);
      assert.match(message, /\d%/);
      const [top] = cliTopTokens(paths, sentence);
      assert.ok(message.includes(`${top} `), `the message does not list the CLI's top token ${top}: ${message}`);
    },
  },
  {
    name: 'command palette: Predict Masked Words on a plain-text selection with two masks',
    async run({ workbench, paths }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('masks.md');
      const sentence = 'The [MASK] was shining and the birds were [MASK] .';
      await workbench.selectText(sentence);
      await workbench.runCommand('BERT Lens: Predict Masked Words');
      const message = await workbench.notification(PREDICTION_MESSAGE);
      await workbench.screenshot('palette-two-masks-notification');
      assert.match(message, /\[MASK\] 1 → .*\[MASK\] 2 → /);
      const tops = cliTopTokens(paths, sentence);
      for (const token of tops) assert.ok(message.includes(`${token} `), `missing ${token}: ${message}`);
    },
  },
  {
    name: 'hover over [MASK] in notes.txt shows predictions with percentages',
    async run({ workbench }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('notes.txt');
      const text = await workbench.hoverText('I went to the [MASK] to buy', '[MASK]', { mustContain: '%' });
      await workbench.screenshot('hover-notes-txt');
      assert.ok((text.match(/%/g) ?? []).length >= 2, `expected several percentages: ${text}`);
    },
  },
  {
    name: 'hover over [MASK] in masks.md agrees with the CLI',
    async run({ workbench, paths }) {
      await workbench.quickOpen('masks.md');
      const sentence = 'Paris is the [MASK] of France .';
      const text = await workbench.hoverText(sentence, '[MASK]', { mustContain: '%' });
      await workbench.screenshot('hover-masks-md');
      const [top] = cliTopTokens(paths, sentence);
      assert.ok(text.includes(top), `hover does not list the CLI's top token ${top}: ${text}`);
      await workbench.page.mouse.move(5, 5);
    },
  },
  {
    name: 'a selection without [MASK] gets a warning and no prediction',
    async run({ workbench }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('masks.md');
      await workbench.selectText('# BERT Lens examples');
      await workbench.runCommand('BERT Lens: Predict Masked Words');
      const message = await workbench.notification(/BERT Lens:/);
      await workbench.screenshot('no-mask-warning');
      assert.match(message, /\[MASK\]/);
      assert.doesNotMatch(message, /%/);
    },
  },
  {
    name: 'a 1 MB selection shows a clear error and leaves the document unchanged',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      await workbench.runCommand('File: New Untitled Text File');
      await page.locator('.tabs-container .tab.active', { hasText: 'Untitled' }).waitFor();
      const line = 'the cat sat on the [MASK] and looked out of the window .\n';
      // Pasted, as a person would bring in a big text (typing 1 MB would take hours).
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await page.evaluate((text) => navigator.clipboard.writeText(text), line.repeat(Math.ceil((1024 * 1024) / line.length)));
      await page.keyboard.press('Control+V');
      // A 1 MB paste takes a moment to land; select all once it has (retry, bounded).
      await page.locator('.part.statusbar .statusbar-item', { hasText: /Ln \d{5,}/ }).first().waitFor({ timeout: 60_000 });
      const selection = page.locator('.part.statusbar .statusbar-item', { hasText: /selected/ }).first();
      for (let attempt = 1; ; attempt++) {
        await page.keyboard.press('Control+A');
        try {
          await selection.waitFor({ timeout: 5_000 });
          break;
        } catch (error) {
          if (attempt === 5) throw error;
        }
      }
      const before = await selection.innerText();
      const selected = Number(before.match(/\(([\d,]+) selected\)/)?.[1].replace(/,/g, ''));
      assert.ok(selected >= 1024 * 1024, `not a 1 MB selection: ${before}`);
      await workbench.runCommand('BERT Lens: Predict Masked Words');
      const message = await workbench.notification(/BERT Lens:/);
      await workbench.screenshot('one-megabyte-selection-error');
      assert.match(message, /characters long; the limit is/);
      assert.equal(await selection.innerText(), before, 'the selection or document changed');
      await workbench.runCommand('View: Revert and Close Editor');
    },
  },
];
