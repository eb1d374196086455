// The contributions as VS Code reads them: every menu entry names a contributed command (or the
// BERT Lens submenu), the editor's submenu holds the selection commands behind a selection, the
// Explorer entry is limited to .jsonl / .csv files, and every setting has a description, a
// default and a scope.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './bert-lens';

interface MenuItem {
  command?: string;
  submenu?: string;
  when?: string;
}
interface Manifest {
  contributes: {
    commands: Array<{ command: string; title: string }>;
    submenus: Array<{ id: string; label: string }>;
    menus: Record<string, MenuItem[]>;
    configuration: { properties: Record<string, { default?: unknown; scope?: string; markdownDescription?: string; description?: string }> };
  };
}

const manifest = () => vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as Manifest;

suite('manifest', () => {
  test('every menu entry names a contributed command or the BERT Lens submenu', () => {
    const { commands, submenus, menus } = manifest().contributes;
    const ids = new Set(commands.map((c) => c.command));
    for (const [menu, items] of Object.entries(menus)) {
      for (const item of items) {
        if (item.submenu) assert.ok(submenus.some((s) => s.id === item.submenu), `${menu}: unknown submenu ${item.submenu}`);
        else assert.ok(ids.has(item.command!), `${menu}: ${item.command} is not a contributed command`);
      }
    }
  });

  test('the editor submenu offers the selection commands only when text is selected', () => {
    const { menus } = manifest().contributes;
    assert.deepStrictEqual(menus['editor/context'].map((i) => [i.submenu, i.when]), [['bertLens.editorContext', 'editorHasSelection']]);
    const inSubmenu = menus['bertLens.editorContext'];
    for (const id of ['predictMaskedWords', 'suggestReplacements', 'classifySelection', 'compareSentencePair', 'checkCoherence', 'openPanel']) {
      const item = inSubmenu.find((i) => i.command === `bertLens.${id}`);
      assert.ok(item, `bertLens.${id} is not in the submenu`);
      assert.strictEqual(item.when, 'editorHasSelection');
    }
  });

  test('the Explorer entry is for .jsonl and .csv files only', () => {
    const [entry] = manifest().contributes.menus['explorer/context'];
    assert.strictEqual(entry.command, 'bertLens.trainClassifierFromThisFile');
    const pattern = /\/\^\\\.\(jsonl\|csv\)\$\/i/;
    assert.match(entry.when ?? '', pattern, entry.when);
  });

  test('every setting has a description, a default and a scope', () => {
    for (const [key, property] of Object.entries(manifest().contributes.configuration.properties)) {
      assert.ok((property.markdownDescription ?? property.description ?? '').length > 20, `${key} has no description`);
      assert.ok('default' in property, `${key} has no default`);
      assert.ok(property.scope, `${key} has no scope`);
    }
  });
});
