// Driving VS Code's workbench (code-server in Chromium) the way a person does: Quick Open,
// the command palette, selecting a line, the editor context menu, notifications, hovers,
// and numbered PNG screenshots of each step. Selectors are VS Code 1.139's DOM classes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const QUICK_INPUT = '.quick-input-widget';

export class Workbench {
  /** @param {import('playwright-core').Page} page */
  constructor(page, screenshotsDir, { toasts = true } = {}) {
    this.page = page;
    /** False when the smoke-test driver runs: it never shows toasts, only the center. */
    this.toasts = toasts;
    this.screenshotsDir = screenshotsDir;
    this.shots = [];
    mkdirSync(screenshotsDir, { recursive: true });
  }

  async screenshot(name) {
    const file = join(this.screenshotsDir, `${String(this.shots.length + 1).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    this.shots.push(file);
    return file;
  }

  /** Opens `url` and waits until the workbench has painted and the explorer shows the folder. */
  async open(url, { timeoutMs = 90_000 } = {}) {
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    await this.page.locator('.part.statusbar').waitFor({ timeout: timeoutMs });
    await this.page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: timeoutMs });
  }

  /** Opens a workspace file by name through Quick Open (Ctrl+P) and waits for its tab. */
  async quickOpen(fileName) {
    // A hover or menu left open would swallow the first keys.
    await this.page.mouse.move(5, 5);
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator(`${QUICK_INPUT} input`);
    await input.waitFor({ state: 'visible' });
    await input.fill(fileName);
    const row = this.page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: fileName }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    await this.page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ timeout: 30_000 });
    await this.page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
  }

  /**
   * Runs a command from the palette (F1) by its title as shown there. The row whose label is
   * exactly `title` is clicked: Enter would take the top fuzzy match, which may be another
   * command ("File: Compare New Untitled Text Files" ranks above "File: New Untitled Text File").
   */
  async runCommand(title) {
    const input = this.page.locator(`${QUICK_INPUT} input`);
    // A webview that holds the focus (the walkthrough, the panel) can leave the palette's input
    // refusing text: close it and try again, at most three times.
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('F1');
      await input.waitFor({ state: 'visible' });
      const filled = await input.fill(`>${title}`, { timeout: 10_000 }).then(() => true, (error) => {
        if (attempt === 3) throw error;
        return false;
      });
      if (filled) break;
      await this.page.keyboard.press('Escape');
      await this.page.locator('.part.statusbar').click({ position: { x: 5, y: 5 } }).catch(() => {});
    }
    const row = this.page
      .locator(`${QUICK_INPUT} .monaco-list-row`, {
        has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
      })
      .first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    await input.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
  }

  /** The rendered editor line holding `text` (the active editor). */
  editorLine(text) {
    return this.page.locator('.editor-instance .monaco-editor .view-lines .view-line', { hasText: text }).first();
  }

  /** Screen rectangle of `needle` inside the rendered line holding `lineText`. */
  async textRect(lineText, needle) {
    const line = this.editorLine(lineText);
    await line.waitFor();
    // A freshly opened editor may still be laying out: the box is taken again until two reads
    // 150 ms apart agree and it has a size (a rect of zeros sends clicks to the title bar).
    let rect;
    for (const deadline = Date.now() + 5_000; ; ) {
      const first = await this.#wordBox(line, needle);
      await this.page.waitForTimeout(150);
      rect = await this.#wordBox(line, needle);
      const settled = rect && first && rect.width > 0 && rect.x === first.x && rect.y === first.y;
      if (settled || !rect || Date.now() > deadline) break;
    }
    if (!rect) throw new Error(`${JSON.stringify(needle)} is not on the rendered line ${JSON.stringify(lineText)}`);
    return rect;
  }

  /** The client rect of the first `needle` in a rendered editor line, or null. */
  async #wordBox(line, needle) {
    return line.evaluate((element, wanted) => {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      const nodes = [];
      let all = '';
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        nodes.push({ node, start: all.length });
        all += node.textContent;
      }
      const normalized = all.replace(/\u00a0/g, ' ');
      const at = normalized.indexOf(wanted);
      if (at < 0) return null;
      const locate = (offset) => {
        const hit = nodes.findLast((n) => n.start <= offset);
        return [hit.node, offset - hit.start];
      };
      const range = document.createRange();
      range.setStart(...locate(at));
      range.setEnd(...locate(at + wanted.length - 1));
      range.setEnd(range.endContainer, range.endOffset + 1);
      const box = range.getBoundingClientRect();
      return { x: box.x, y: box.y, width: box.width, height: box.height };
    }, needle);
  }

  /** Selects `sentence` in the active editor by dragging over it with the mouse. */
  async selectText(sentence) {
    const rect = await this.textRect(sentence, sentence);
    const y = rect.y + rect.height / 2;
    await this.page.mouse.click(rect.x + 1, y);
    await this.page.keyboard.down('Shift');
    await this.page.mouse.click(rect.x + rect.width - 1, y);
    await this.page.keyboard.up('Shift');
    return rect;
  }

  /**
   * Right-clicks at (x, y) and walks the context menu through `labels`: each label but the
   * last opens a submenu by hover; the last is clicked (after `beforeClick`, e.g. a screenshot).
   * Menus live in shadow roots, which Playwright's locators pierce.
   */
  async contextMenu(x, y, labels, { beforeClick } = {}) {
    const item = await this.openContextMenu(x, y, labels);
    await beforeClick?.();
    await item.click();
  }

  /**
   * Right-clicks at (x, y) and hovers through `labels` (each but the last opens a submenu);
   * returns the last item, highlighted and not clicked. Escape closes the menus.
   */
  async openContextMenu(x, y, labels) {
    await this.page.mouse.click(x, y, { button: 'right' });
    const menuItem = (label) =>
      this.page
        .locator('.monaco-menu .action-item', {
          has: this.page.locator('.action-label', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }),
        })
        .last();
    let item;
    for (const [i, label] of labels.entries()) {
      item = menuItem(label);
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      await item.hover();
      if (i < labels.length - 1) {
        // The submenu opens on hover; click as a fallback if it has not opened.
        const next = menuItem(labels[i + 1]);
        if (!(await next.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false))) await item.click();
      }
    }
    return item;
  }

  /** The BERT Lens panel's document (a webview is an iframe holding the extension's iframe). */
  panelFrame() {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  }

  /** F1 > Preferences: Color Theme > `name`, then waits for the workbench to repaint in it. */
  async setTheme(name) {
    const input = this.page.locator(`${QUICK_INPUT} input`);
    const pick = async (label) => {
      const row = this.page.locator(`${QUICK_INPUT} .monaco-list-row`, { has: this.page.locator('.label-name', { hasText: label }) }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      await row.click();
    };
    await this.page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    await input.fill('>Preferences: Color Theme');
    await pick(/^Preferences: Color Theme$/);
    // The theme picker replaces the palette in place.
    await this.page.locator(`${QUICK_INPUT} .monaco-list-row`, { hasText: /Light|Dark/ }).first().waitFor();
    await input.fill(name);
    await pick(new RegExp(`^${escapeRegExp(name)}$`));
    await input.waitFor({ state: 'hidden', timeout: 10_000 });
    const themeClass = /light/i.test(name) ? (/high contrast/i.test(name) ? 'hc-light' : 'vs') : /high contrast/i.test(name) ? 'hc-black' : 'vs-dark';
    await this.page.waitForFunction((cls) => document.querySelector('.monaco-workbench')?.classList.contains(cls), themeClass);
  }

  /**
   * Sets a boolean setting the way a person does: Preferences: Open User Settings, search for
   * its id, tick or untick its checkbox (screenshot `shot` when given), close the Settings editor.
   */
  async setBooleanSetting(id, value, { shot } = {}) {
    await this.runCommand('Preferences: Open User Settings');
    const editor = this.page.locator('.settings-editor');
    await editor.waitFor({ state: 'visible', timeout: 30_000 });
    const search = editor.locator('.settings-header .suggest-input-container .monaco-editor').first();
    await search.waitFor();
    await search.click();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.type(id);
    // The list filters a moment after typing; the setting's row carries its id.
    const row = editor.locator(`.setting-item-contents[data-key="${id}"]`).filter({ visible: true }).first();
    const checkbox = row.locator('.setting-value-checkbox');
    await checkbox.waitFor({ state: 'visible', timeout: 30_000 });
    if ((await checkbox.getAttribute('aria-checked')) !== String(value)) {
      // The editor writes settings.json a moment after the click (closing it earlier drops the
      // write); the row's "is-configured" mark flips once the value is written or reset.
      const configured = () => row.evaluate((element) => [element, element.parentElement].some((e) => e?.classList.contains('is-configured')));
      const before = await configured();
      await checkbox.click();
      await row.locator(`.setting-value-checkbox[aria-checked="${value}"]`).waitFor({ timeout: 10_000 });
      for (const deadline = Date.now() + 10_000; (await configured()) === before; ) {
        if (Date.now() > deadline) throw new Error(`the Settings editor did not write ${id}`);
        await this.page.waitForTimeout(100);
      }
    }
    if (shot) await this.screenshot(shot);
    // VS Code 1.139 shows the Settings editor as a modal: Escape closes it (else its close button).
    await this.page.keyboard.press('Escape');
    if (!(await editor.waitFor({ state: 'hidden', timeout: 3_000 }).then(() => true, () => false))) {
      await this.page.locator('.action-label[aria-label^="Close Modal Editor"], .action-label[aria-label^="Close ("]').first().click();
      await editor.waitFor({ state: 'hidden', timeout: 10_000 });
    }
  }

  /**
   * Text of the newest notification whose message matches `pattern`: from its toast, or (when
   * toasts are off) from the notification center, which is then closed again.
   */
  async notification(pattern, { timeoutMs = 60_000 } = {}) {
    if (this.toasts) {
      // fade-in-done: the toast has finished sliding in (screenshots show it fully drawn).
      const toast = this.page.locator('.notifications-toasts .notification-toast.notification-fade-in-done', { hasText: pattern }).first();
      await toast.waitFor({ state: 'visible', timeout: timeoutMs });
      return (await toast.locator('.notification-list-item-message').innerText()).trim();
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.runCommand('Notifications: Show Notifications');
      const item = this.page.locator('.notifications-center .notification-list-item', { hasText: pattern }).first();
      try {
        await item.waitFor({ state: 'visible', timeout: 2_000 });
        const text = (await item.locator('.notification-list-item-message').innerText()).trim();
        return text;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      } finally {
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /** Screenshot with the notification center open (useful when toasts are off). */
  async screenshotNotificationCenter(name) {
    await this.runCommand('Notifications: Show Notifications');
    await this.page.locator('.notifications-center').waitFor({ state: 'visible' });
    const file = await this.screenshot(name);
    await this.page.keyboard.press('Escape');
    return file;
  }

  async clearNotifications() {
    await this.runCommand('Notifications: Clear All Notifications');
    await this.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
  }

  /** Back to a neutral state after a failed step: close menus, widgets and notifications. */
  async reset() {
    for (let i = 0; i < 3; i++) await this.page.keyboard.press('Escape');
    await this.page.mouse.move(5, 5);
    await this.clearNotifications().catch(() => {});
  }

  /** The status bar entry whose text matches `pattern` (waits for it). */
  async statusBarItem(pattern, { timeoutMs = 60_000 } = {}) {
    const item = this.page.locator('.part.statusbar .statusbar-item', { hasText: pattern }).first();
    await item.waitFor({ state: 'visible', timeout: timeoutMs });
    return (await item.innerText()).trim();
  }

  /**
   * Moves the mouse over `needle` on the line holding `lineText` and returns the hover's text
   * once it contains `mustContain`. Like a person, it moves away and back when no hover shows
   * (a hover asked for while the server was still starting is not asked for again), clicking
   * the word first.
   */
  async hoverText(lineText, needle, { mustContain = '', timeoutMs = 30_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    // Only a visible one: a hidden hover of the same editor keeps its old text in the DOM.
    const hover = this.page.locator('.monaco-hover:not(.hidden)', { hasText: mustContain }).filter({ visible: true }).first();
    for (;;) {
      const rect = await this.textRect(lineText, needle);
      await this.page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2, { steps: 3 });
      try {
        await hover.waitFor({ state: 'visible', timeout: Math.min(5_000, Math.max(1, deadline - Date.now())) });
        await settled(hover);
        return (await hover.innerText()).trim();
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        await this.page.mouse.move(5, 5);
        await this.page.keyboard.press('Escape');
        // After a context menu VS Code shows no hover until the editor is clicked: click the word.
        await this.page.mouse.click(rect.x + rect.width / 2, rect.y + rect.height / 2);
        await this.page.mouse.move(5, 5);
      }
    }
  }
}

/** Waits until the CSS animations of `locator`'s element and its ancestors (a fade-in) have finished. */
export async function settled(locator) {
  await locator.evaluate(async (element) => {
    const animations = [];
    animations.push(...element.getAnimations({ subtree: true }));
    for (let node = element.parentElement; node instanceof Element; node = node.parentElement) animations.push(...node.getAnimations());
    await Promise.all(animations.map((animation) => animation.finished.catch(() => undefined)));
  });
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
