// Mocha reporter: mocha's spec output, plus a JSON summary {passed, failed, pending, failures} written
// to the file given by `--reporter-option summary=<file>`, which scripts/test.mjs adds up across layers.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = options?.reporterOptions?.summary;
    const failures = [];
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, error) => {
      failures.push({ title: test.fullTitle(), message: error?.message ?? String(error) });
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      if (!file) return;
      const { passes = 0, pending = 0 } = this.stats;
      fs.writeFileSync(file, JSON.stringify({ passed: passes, failed: failures.length, pending, failures }));
    });
  }
}

module.exports = SummaryReporter;
