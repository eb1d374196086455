// UI tests of the analysis commands and the panel, as a person uses them: the editor's
// right-click "BERT Lens" submenu for each selection command, the Explorer's "Train Classifier
// from This File", the panel with every section drawn, light / dark / high-contrast themes,
// and Select Model from the status bar. Screenshots of each step in test-results/screenshots/.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const QUICK_INPUT = '.quick-input-widget';
const HEAD = 'ui-reviews';

/** Selects from the start of the line holding `firstText` to the end of the one holding `lastText`. */
async function selectLines(workbench, firstText, lastText) {
  const first = await workbench.textRect(firstText, firstText);
  const last = await workbench.textRect(lastText, lastText);
  await workbench.page.mouse.click(first.x + 1, first.y + first.height / 2);
  await workbench.page.keyboard.down('Shift');
  await workbench.page.mouse.click(last.x + last.width - 1, last.y + last.height / 2);
  await workbench.page.keyboard.up('Shift');
  return last;
}

/** Right-click in the middle of `rect` and walk BERT Lens > `label`. */
async function bertLensMenu(workbench, rect, label, shot) {
  await workbench.contextMenu(rect.x + rect.width / 2, rect.y + rect.height / 2, ['BERT Lens', label], {
    beforeClick: shot ? () => workbench.screenshot(shot) : undefined,
  });
}

async function quickInput(page) {
  const input = page.locator(`${QUICK_INPUT} input`);
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  return input;
}

/** Picks the quick-pick row whose label matches `label` (a RegExp). */
async function pickRow(page, label) {
  const row = page.locator(`${QUICK_INPUT} .monaco-list-row`, { has: page.locator('.label-name', { hasText: label }) }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

function removeHead(paths) {
  const folder = join(paths.examplesDir, '.bert-lens');
  rmSync(join(folder, 'heads', `${HEAD}.json`), { force: true });
  for (const dir of [join(folder, 'heads'), folder]) {
    if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
  }
}

export const tests = [
  {
    name: 'right-click > BERT Lens > Suggest Replacements: pick a word, then undo it',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('masks.md');
      const line = 'She opened the door and [MASK] into the room .';
      const rect = await workbench.textRect(line, 'door');
      await page.mouse.dblclick(rect.x + rect.width / 2, rect.y + rect.height / 2);
      await bertLensMenu(workbench, rect, 'Suggest Replacements for Selection', 'submenu-suggest-replacements');
      const input = await quickInput(page);
      const title = await page.locator(`${QUICK_INPUT} .quick-input-title`).innerText();
      assert.match(title, /replace "door" \(\S+%, rank \d+\)/);
      const first = page.locator(`${QUICK_INPUT} .monaco-list-row`).first();
      await first.waitFor();
      const word = (await first.locator('.label-name').first().innerText()).trim();
      assert.match(await first.innerText(), /%/);
      await workbench.screenshot('replacements-quick-pick');
      await input.press('Enter');
      const changed = line.replace('door', word);
      await workbench.editorLine(changed).waitFor({ timeout: 10_000 });
      await workbench.screenshot('replacement-applied');
      await page.keyboard.press('Control+Z');
      await workbench.editorLine(line).waitFor({ timeout: 10_000 });
      const dirty = await page.locator('.tabs-container .tab.active.dirty').count();
      assert.equal(dirty, 0, 'one undo did not bring the file back to its saved state');
    },
  },
  {
    name: 'right-click > BERT Lens > Compare Sentence Pair asks for the second sentence',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('masks.md');
      const rect = await workbench.selectText('Paris is the [MASK] of France .');
      await bertLensMenu(workbench, rect, 'Compare Sentence Pair');
      const input = await quickInput(page);
      assert.equal(await input.inputValue(), 'Paris is the [MASK] of France .');
      await input.press('Enter');
      await page.locator(`${QUICK_INPUT} .quick-input-title`, { hasText: '(2/2)' }).waitFor();
      await input.fill('It is also its largest city .');
      await workbench.screenshot('compare-pair-second-sentence');
      await input.press('Enter');
      const message = await workbench.notification(/P\(IsNext\)/);
      await workbench.screenshot('compare-pair-notification');
      assert.match(message, /P\(IsNext\) \d+(\.\d+)?%/);
    },
  },
  {
    name: 'right-click > BERT Lens > Check Coherence on three sentences',
    async run({ workbench }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('notes.txt');
      const last = await selectLines(workbench, 'I went to the [MASK] to buy some bread and milk.', 'It was a cold winter [MASK] and snow covered the streets.');
      await bertLensMenu(workbench, last, 'Check Coherence', 'submenu-check-coherence');
      const message = await workbench.notification(/sentence boundaries/);
      await workbench.screenshot('coherence-notification');
      assert.match(message, /2 sentence boundaries, mean P\(IsNext\) \S+%/);
    },
  },
  {
    name: 'Explorer: right-click reviews.jsonl > Train Classifier from This File',
    async run({ workbench, page, paths }) {
      removeHead(paths);
      await workbench.clearNotifications();
      const file = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'reviews.jsonl' }).first();
      await file.waitFor({ timeout: 30_000 });
      const box = await file.boundingBox();
      await workbench.contextMenu(box.x + box.width / 2, box.y + box.height / 2, ['Train Classifier from This File'], {
        beforeClick: () => workbench.screenshot('explorer-train-classifier-menu'),
      });
      const input = await quickInput(page);
      assert.equal(await input.inputValue(), 'reviews');
      await input.fill(HEAD);
      await input.press('Enter');
      const message = await workbench.notification(/trained "ui-reviews"/);
      await workbench.screenshot('train-classifier-notification');
      assert.match(message, /on 20 examples \(negative, positive\)/);
      assert.ok(existsSync(join(paths.examplesDir, '.bert-lens', 'heads', `${HEAD}.json`)));
    },
  },
  {
    name: 'right-click > BERT Lens > Classify Selection with the trained head',
    async run({ workbench, page, paths }) {
      try {
        await workbench.clearNotifications();
        await workbench.quickOpen('notes.txt');
        const rect = await workbench.selectText('The doctor told him to take the [MASK] twice a day.');
        await bertLensMenu(workbench, rect, 'Classify Selection', 'submenu-classify-selection');
        // With more than one head (the bundled model ships a sentiment head) a picker asks which.
        const headRow = page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'ui-reviews' }).first();
        if (await headRow.waitFor({ timeout: 10_000 }).then(() => true, () => false)) {
          await workbench.screenshot('classify-pick-head');
          await headRow.click();
        }
        const message = await workbench.notification(/BERT Lens \(/);
        await workbench.screenshot('classify-notification');
        assert.match(message, /^BERT Lens \((ui-reviews|model)\): \w+ \S+% · \w+ \S+%/);
      } finally {
        removeHead(paths);
      }
    },
  },
  {
    name: 'right-click > BERT Lens > Open Panel draws every section',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('notes.txt');
      const last = await selectLines(workbench, 'I went to the [MASK] to buy some bread and milk.', 'The doctor told him to take the [MASK] twice a day.');
      await bertLensMenu(workbench, last, 'Open Panel', 'submenu-open-panel');
      const frame = workbench.panelFrame();
      for (const id of ['input', 'masks', 'labels', 'coherence', 'unlikely', 'attention']) {
        const section = frame.locator(`#section-${id}`);
        await section.waitFor({ timeout: 60_000 });
        await frame.locator(`#section-${id}:not([data-state="loading"]):not([data-state="empty"])`).waitFor({ timeout: 60_000 });
      }
      const state = async (id) => frame.locator(`#section-${id}`).getAttribute('data-state');
      assert.equal(await state('input'), 'data');
      assert.equal(await state('masks'), 'data');
      assert.equal(await state('coherence'), 'data');
      assert.ok((await frame.locator('#section-input .token').count()) > 10, 'too few word pieces drawn');
      assert.equal(await frame.locator('#section-masks .bar-row').count() > 0, true);
      assert.ok((await frame.locator('#section-coherence svg circle').count()) >= 1);
      // Sections without data say why, in words.
      for (const id of ['labels', 'unlikely', 'attention']) {
        const text = (await frame.locator(`#body-${id}`).innerText()).trim();
        assert.ok(text.length > 0, `${id} is blank`);
      }
      if ((await state('attention')) === 'data') {
        assert.ok((await frame.locator('#section-attention rect.cell').count()) > 0);
        await frame.locator('#attention-layer').selectOption({ index: 1 });
        await frame.locator('#attention-head').selectOption({ index: 1 });
      }
      await workbench.screenshot('panel');
      await frame.locator('#section-coherence').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await workbench.screenshot('panel-coherence');
      await frame.locator('#section-attention').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await workbench.screenshot('panel-attention');
    },
  },
  {
    name: 'command palette: Analyze Document lists unlikely words in the panel',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('essay.md');
      await workbench.runCommand('BERT Lens: Analyze Document');
      const frame = workbench.panelFrame();
      await frame.locator('#source', { hasText: 'essay.md' }).waitFor({ timeout: 60_000 });
      await frame.locator('#section-unlikely:not([data-state="loading"])').waitFor({ timeout: 120_000 });
      assert.equal(await frame.locator('#section-unlikely').getAttribute('data-state'), 'data');
      assert.match(await frame.locator('#body-unlikely').innerText(), /words (below the threshold|scanned)/);
      assert.equal(await frame.locator('#pin').getAttribute('aria-pressed'), 'false', 'Analyze Document must stop following the selection');
      await frame.locator('#section-coherence[data-state="data"]').waitFor({ timeout: 60_000 });
      // Keyboard: the pin button is reachable and toggles with Space.
      await frame.locator('#pin').focus();
      await page.keyboard.press('Space');
      assert.equal(await frame.locator('#pin').getAttribute('aria-pressed'), 'true');
      await page.keyboard.press('Space');
      await frame.locator('#section-coherence').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await workbench.screenshot('analyze-document-coherence');
      await frame.locator('#section-unlikely').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await workbench.screenshot('analyze-document-unlikely');
    },
  },
  {
    name: 'the panel in a light, a dark and a high-contrast theme',
    async run({ workbench, page }) {
      const frame = workbench.panelFrame();
      await frame.locator('#section-input[data-state="data"]').waitFor({ timeout: 30_000 });
      try {
        for (const [theme, shot] of [
          ['Light Modern', 'theme-light'],
          ['Dark Modern', 'theme-dark'],
          ['Dark High Contrast', 'theme-high-contrast'],
        ]) {
          await workbench.setTheme(theme);
          await page.waitForFunction(
            (name) => document.querySelector('.monaco-workbench')?.classList.contains(name),
            theme.startsWith('Light') ? 'vs' : theme.includes('High') ? 'hc-black' : 'vs-dark',
          );
          await frame.locator('#section-input').evaluate((e) => e.scrollIntoView({ block: 'start' }));
          await workbench.screenshot(shot);
          // The webview's body class follows the theme: the CSS variables change with it.
          const bodyClass = await frame.locator('body').getAttribute('class');
          assert.match(bodyClass ?? '', theme.startsWith('Light') ? /vscode-light/ : theme.includes('High') ? /vscode-high-contrast/ : /vscode-dark/);
        }
      } finally {
        await workbench.setTheme('Dark Modern').catch(() => {});
      }
    },
  },
  {
    name: 'status bar > Select Model > the bundled model',
    async run({ workbench, page }) {
      await workbench.clearNotifications();
      await workbench.quickOpen('masks.md');
      const item = page.locator('.part.statusbar .statusbar-item', { hasText: / · (cpu|webgpu|cuda|dml|coreml)/ }).first();
      await item.waitFor({ timeout: 60_000 });
      await item.click();
      await quickInput(page);
      await page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: 'A Hugging Face Hub id…' }).waitFor();
      await workbench.screenshot('select-model-quick-pick');
      await pickRow(page, /tiny-random/);
      const message = await workbench.notification(/now using/, { timeoutMs: 120_000 });
      await workbench.screenshot('select-model-done');
      assert.match(message, /now using tiny-random on (cpu|webgpu|cuda|dml|coreml)/);
      await workbench.statusBarItem(/tiny-random · /);
      // Back to the default, so the tests after this one see the model the CLI uses.
      await workbench.clearNotifications();
      await page.locator('.part.statusbar .statusbar-item', { hasText: /tiny-random · / }).first().click();
      await quickInput(page);
      await pickRow(page, /bert-lens-small/);
      await workbench.notification(/now using bert-lens-small/, { timeoutMs: 120_000 });
    },
  },
  {
    name: 'the Getting Started walkthrough lists its steps',
    async run({ workbench, page }) {
      await workbench.runCommand('Welcome: Open Walkthrough...');
      const input = await quickInput(page);
      await input.fill('BERT Lens');
      await pickRow(page, /Get Started with BERT Lens/);
      for (const title of ['Predict a masked word', 'Find the weak transition in an essay', 'Train a classifier from labelled examples', 'Choose a model']) {
        await page.locator('.getting-started-step', { hasText: title }).first().waitFor({ timeout: 30_000 });
      }
      await workbench.screenshot('walkthrough');
      await page.locator('.getting-started-step', { hasText: 'Find the weak transition in an essay' }).first().click();
      await workbench.screenshot('walkthrough-coherence-step');
      await page.keyboard.press('Escape');
    },
  },
];
