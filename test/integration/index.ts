import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** What the launchers read back: the last line of the report file is this object as JSON. */
export interface TestSummary {
  readonly passed: number;
  readonly failed: number;
  readonly pending: number;
  readonly failures: readonly { readonly title: string; readonly message: string }[];
}

/**
 * Entry point VS Code calls inside the extension host (`extensionTestsPath`). Runs every `*.test.js`
 * next to this file. The extension host's console does not reach the launcher under code-server, so
 * when GPT_IMAGE_TEST_REPORT names a file, the spec-like report goes there, line by line as tests
 * finish (a launcher that times out can still show how far it got), ending with the JSON summary.
 */
export async function run(): Promise<void> {
  const reportFile = process.env.GPT_IMAGE_TEST_REPORT;
  const write = reportFile
    ? (line: string): void => fs.appendFileSync(reportFile, `${line}\n`)
    : (line: string): void => console.log(line);
  if (reportFile) fs.writeFileSync(reportFile, '');

  // GPT_IMAGE_TEST_GREP (scripts/run-integration.mjs --grep) narrows the run to matching titles.
  const grep = process.env.GPT_IMAGE_TEST_GREP;
  const mocha = new Mocha({ ui: 'tdd', timeout: 30_000, color: false, reporter: SilentReporter, ...(grep && { grep }) });
  const files = fs
    .readdirSync(__dirname, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  for (const name of files) mocha.addFile(path.join(__dirname, name));

  const failures: { title: string; message: string }[] = [];
  let passed = 0;
  let pending = 0;
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('suite', (suite) => {
      if (suite.title) write(`${'  '.repeat(depth(suite))}${suite.title}`);
    });
    runner.on('pass', (test) => {
      passed++;
      write(`${indent(test)}✔ ${test.title} (${test.duration ?? 0} ms)`);
    });
    runner.on('pending', (test) => {
      pending++;
      write(`${indent(test)}- ${test.title} (pending)`);
    });
    runner.on('fail', (test, error: Error) => {
      failures.push({ title: test.fullTitle(), message: error?.message ?? String(error) });
      write(`${indent(test)}✘ ${test.title}`);
      write(indentBlock(error?.stack ?? String(error), indent(test) + '    '));
    });
  });

  const summary: TestSummary = { passed, failed: failures.length, pending, failures };
  write(`${passed} passing, ${failures.length} failing, ${pending} pending`);
  write(JSON.stringify(summary));
  if (failures.length > 0) throw new Error(`${failures.length} integration test(s) failed`);
}

/** Mocha needs a reporter; the report is written by the event handlers above. */
class SilentReporter extends Mocha.reporters.Base {}

function depth(runnable: Mocha.Suite | Mocha.Runnable): number {
  let level = 0;
  for (let parent = runnable.parent; parent && !parent.root; parent = parent.parent) level++;
  return level;
}

function indent(test: Mocha.Runnable): string {
  return '  '.repeat(depth(test) + 1);
}

function indentBlock(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}
