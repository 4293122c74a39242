import * as assert from 'node:assert/strict';
import { maxMissed, rememberedRunIds, StudioRuns, type ActiveRun } from '../../src/studio/studioRuns';

function started(result: ActiveRun | string): ActiveRun {
  assert.equal(typeof result, 'object', `expected a run, got ${String(result)}`);
  return result as ActiveRun;
}

suite('StudioRuns: the host side of run ids (the webview is untrusted)', () => {
  let runs: StudioRuns;
  let clock: number;
  setup(() => {
    clock = 1_000_000;
    runs = new StudioRuns(() => clock);
  });
  teardown(() => runs.dispose());

  const noTick = (): void => undefined;

  test('a run starts under the id the webview chose and is reported as running', () => {
    const run = started(runs.start('a1', 'a lighthouse', noTick));
    assert.equal(run.runId, 'a1');
    assert.equal(run.signal.aborted, false);
    clock += 4_500;
    assert.deepEqual(runs.running(), [{ runId: 'a1', prompt: 'a lighthouse', elapsedSeconds: 4 }]);
  });

  test('a repeated id is refused while the run goes and after it ended, and never aborts the first run', () => {
    const first = started(runs.start('dup', 'first', noTick));
    assert.equal(runs.start('dup', 'forged', noTick), 'repeatedId');
    assert.equal(first.signal.aborted, false);
    assert.deepEqual(runs.running().map((run) => run.prompt), ['first']);
    runs.finish('dup');
    assert.equal(runs.start('dup', 'again', noTick), 'repeatedId');
    assert.deepEqual(runs.running(), []);
  });

  test('a second run while one goes is busy, and its id counts as used', () => {
    started(runs.start('one', 'p', noTick));
    assert.equal(runs.start('two', 'p', noTick), 'busy');
    runs.finish('one');
    assert.equal(runs.start('two', 'p', noTick), 'repeatedId');
    started(runs.start('three', 'p', noTick));
  });

  test('cancel aborts only the named run; another id, an ended run or a forged id does nothing', () => {
    const run = started(runs.start('mine', 'p', noTick));
    assert.equal(runs.cancel('other'), false);
    assert.equal(runs.cancel(''), false);
    assert.equal(run.signal.aborted, false);
    assert.equal(runs.cancel('mine'), true);
    assert.equal(run.signal.aborted, true);
    runs.finish('mine');
    assert.equal(runs.cancel('mine'), false);
  });

  test('a late cancel of an ended run cannot reach the next run', () => {
    started(runs.start('old', 'p', noTick));
    runs.finish('old');
    const next = started(runs.start('new', 'p', noTick));
    assert.equal(runs.cancel('old'), false);
    assert.equal(next.signal.aborted, false);
  });

  test('progress ticks every second with the run’s elapsed seconds, and stop at finish', async function () {
    this.timeout(5_000);
    runs = new StudioRuns();
    const ticks: number[] = [];
    started(runs.start('t', 'p', (seconds) => ticks.push(seconds)));
    await new Promise((resolve) => setTimeout(resolve, 1_150));
    runs.finish('t');
    const count = ticks.length;
    assert.ok(count >= 1, 'at least one tick');
    assert.ok(ticks.every((seconds) => seconds >= 0 && Number.isInteger(seconds)));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal(ticks.length, count, 'no tick after finish');
  });

  test('dispose aborts every run and refuses new ones (a disposed panel starts nothing)', () => {
    const run = started(runs.start('live', 'p', noTick));
    runs.keepMissed({ type: 'status', message: 'x' });
    runs.dispose();
    assert.equal(run.signal.aborted, true);
    assert.deepEqual(runs.running(), []);
    assert.deepEqual(runs.takeMissed(), []);
    assert.equal(runs.start('fresh', 'p', noTick), 'busy');
    runs.finish('live');
  });

  test('missed outcomes are kept in order, taken once, and bounded (oldest dropped)', () => {
    runs.keepMissed({ type: 'stopped', runId: 'a', message: 'Cancelled.' });
    runs.keepMissed({ type: 'status', message: 'Copied.' });
    assert.deepEqual(runs.takeMissed().map((message) => message.type), ['stopped', 'status']);
    assert.deepEqual(runs.takeMissed(), []);
    for (let i = 0; i < maxMissed + 5; i++) runs.keepMissed({ type: 'status', message: String(i) });
    const kept = runs.takeMissed();
    assert.equal(kept.length, maxMissed);
    assert.deepEqual(kept[0], { type: 'status', message: '5' });
  });

  test('the ids remembered are bounded: a flood of ids only makes the oldest reusable', () => {
    started(runs.start('first', 'p', noTick));
    for (let i = 0; i < rememberedRunIds; i++) assert.equal(runs.start(`flood${i}`, 'p', noTick), 'busy');
    runs.finish('first');
    assert.equal(runs.start(`flood${rememberedRunIds - 1}`, 'p', noTick), 'repeatedId', 'a recent id is still refused');
    started(runs.start('first', 'p', noTick));
  });
});
