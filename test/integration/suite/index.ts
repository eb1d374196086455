// Mocha entry for the extension-host tests (the `extensionTestsPath` contract: export run()).
// Loads every compiled *.test.js next to this file (esbuild bundles them into out/integration/),
// runs them with mocha 11's TDD interface, prints a machine-readable result line that
// test/integration/run.mjs turns into the final `N passed, N failed`, and rejects on failure.
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
// mocha stays external (esbuild.mjs): mocha 11 is CommonJS, its module.exports is the class
// (mocha 12 is ESM-only and would not load here).
import Mocha from 'mocha';

/** Prefix that lets the runner tell mocha's lines from the workbench's own console output. */
const MOCHA_LINE_PREFIX = '[exthost:mocha] ';

export function run(): Promise<void> {
  // Reporters print through Base.consoleLog; mark each line (formatted here, in the host).
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  base.consoleLog = (...args: unknown[]) => console.log(MOCHA_LINE_PREFIX + format(...args));
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, reporter: 'spec' });
  const only = process.env.BERT_LENS_TEST_GREP;
  if (only) mocha.grep(only);
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  for (const name of files) mocha.addFile(path.join(__dirname, name));

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
        const counts = { passed: stats.passes, failed: stats.failures, skipped: stats.pending };
        console.log(`BERT_LENS_MOCHA_RESULT ${JSON.stringify(counts)}`);
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else if (stats.passes === 0) reject(new Error('no integration test ran'));
        else resolve();
      });
    } catch (error) {
      console.error(error);
      reject(error);
    }
  });
}
