// `bert-lens serve --stdio` for an LSP client that is not ours: headless Neovim (Debian 12 ships
// 0.7.2, which has vim.lsp.start_client + buf_attach_client but not vim.lsp.start) runs the
// README's Neovim config, which starts the server on the default (bundled) model; a driver opens
// a Markdown file and a text file with a [MASK], waits for the client to initialise and attach,
// asks for the hover at the [MASK] with buf_request_sync and writes its Markdown to a file; the
// test reads the predictions tables from it. Skips when `nvim` is not on PATH
// (scripts/harness/install.mjs installs Debian's neovim for `npm test`).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { root } from './server-harness';

const nvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
const nvimVersion = nvim.status === 0 ? nvim.stdout.split('\n')[0] : undefined;
const skip = nvimVersion ? false : 'nvim is not on PATH (apt-get install neovim; npm test installs it through scripts/harness/install.mjs)';

/**
 * The client config is the README's Neovim block itself (section "Other editors"), with the
 * placeholder path and `node` replaced, so the documented config is the one tested.
 */
function readmeNeovimConfig(cli: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Other editors'));
  const block = /```lua\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block && block.includes("'/path/to/bert-lens/dist/cli.js'"), 'the README has a Neovim Lua block under "Other editors"');
  return block.replace("'node'", JSON.stringify(process.execPath)).replace("'/path/to/bert-lens/dist/cli.js'", JSON.stringify(cli));
}

/**
 * Drives the editor once it has started: for the Markdown file given on the command line, then
 * for a `text` file (covered only through the config's init_options), waits for the client to
 * initialise and attach, hovers at the [MASK] and appends the hover's Markdown to BL_OUT.
 */
const DRIVER_LUA = String.raw`
local out = assert(io.open(os.getenv('BL_OUT'), 'w'))
local function hover_at_mask()
  local bufnr = vim.api.nvim_get_current_buf()
  local attached = vim.wait(60000, function()
    for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
      if client.name == 'bert-lens' and client.initialized then return true end
    end
    return false
  end, 50)
  if not attached then return 'ERROR: no initialised bert-lens client attached to ' .. vim.api.nvim_buf_get_name(bufnr) end
  local row, col
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local at = line:find('[MASK]', 1, true)
    if at then row, col = i - 1, at end
  end
  local params = { textDocument = vim.lsp.util.make_text_document_params(), position = { line = row, character = col } }
  local responses, err = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, 120000)
  if not responses then return 'ERROR: ' .. tostring(err) end
  for _, response in pairs(responses) do
    if response.err then return 'ERROR: ' .. vim.inspect(response.err) end
    if response.result then
      local contents = response.result.contents
      return type(contents) == 'table' and (contents.value or vim.inspect(contents)) or tostring(contents)
    end
  end
  return 'ERROR: empty hover'
end
local function main()
  out:write('== filetype=' .. vim.bo.filetype .. '\n' .. hover_at_mask() .. '\n')
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('BL_TEXT')))
  out:write('== filetype=' .. vim.bo.filetype .. '\n' .. hover_at_mask() .. '\n')
end
vim.api.nvim_create_autocmd('VimEnter', {
  nested = true, -- so that :edit runs filetype detection and the README's FileType autocmd
  callback = function()
    local ok, message = pcall(main)
    if not ok then out:write('ERROR: ' .. tostring(message) .. '\n') end
    out:close()
    vim.cmd('qall!')
  end,
})
`;

test('Neovim (headless) gets [MASK] predictions from bert-lens serve --stdio', { skip, timeout: 240_000 }, async () => {
  const cli = join(root, 'dist', 'cli.js');
  assert.ok(existsSync(cli), 'dist/cli.js is built (node esbuild.mjs)');
  const work = mkdtempSync(join(tmpdir(), 'bert-lens-nvim-'));
  try {
    const init = join(work, 'init.lua');
    const file = join(work, 'notes.md');
    const out = join(work, 'hover.md');
    const text = join(work, 'notes.txt');
    writeFileSync(init, `${readmeNeovimConfig(cli)}\n${DRIVER_LUA}`);
    writeFileSync(file, '# Notes\n\nThe capital of France is [MASK].\n');
    writeFileSync(text, 'She drank a cup of [MASK] before work.\n');
    const started = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('nvim', ['--headless', '-n', '-i', 'NONE', '-u', init, file], {
        cwd: work,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          BL_OUT: out,
          BL_TEXT: text,
          BERT_LENS_CACHE: join(work, 'cache'),
          XDG_STATE_HOME: join(work, 'state'),
          XDG_DATA_HOME: join(work, 'data'),
          XDG_CONFIG_HOME: join(work, 'config'),
        },
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    const ms = performance.now() - started;
    assert.ok(existsSync(out), `Neovim wrote no hover (exit ${code}): ${stderr}`);
    const output = readFileSync(out, 'utf8');
    assert.doesNotMatch(output, /^ERROR/m, output);
    const hovers = output.split(/^== /m).slice(1);
    assert.deepEqual(hovers.map((h) => h.split('\n')[0]), ['filetype=markdown', 'filetype=text'], output);
    for (const hover of hovers) {
      assert.match(hover, /\*\*BERT Lens\*\* — `\[MASK\]`/);
      const rows = [...hover.matchAll(/^\| \d+ \| `([^`]+)` \| ([\d.]+)% \|$/gm)];
      assert.equal(rows.length, 5, `topK = 5 predictions: ${hover}`);
      const scores = rows.map((r) => Number(r[2]));
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'sorted by probability');
      console.log(`${nvimVersion}, ${hover.split('\n')[0]}: ${rows.map((r) => `${r[1]} ${r[2]}%`).join(', ')}`);
    }
    console.log(`${nvimVersion}: both hovers in ${ms.toFixed(0)} ms (editor and server start, model load, two hovers)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
