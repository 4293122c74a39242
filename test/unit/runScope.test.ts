import * as assert from 'node:assert/strict';
import type { GalleryEntry, ToWebview } from '../../src/shared/protocol';
import { KnownRuns } from '../../src/shared/runScope';

const entry: GalleryEntry = {
  id: 'e1',
  prompt: 'p',
  options: { size: '1024x1024', quality: 'auto', n: 1, outputFormat: 'png', background: 'auto' },
  model: 'gpt-image-2',
  createdAt: 1,
  images: [],
};

/** What the page does with a message: drop it, or follow it (as src/webview/main.ts's receive). */
function deliver(runs: KnownRuns, message: ToWebview): boolean {
  if (!runs.concerns(message)) return false;
  runs.note(message);
  return true;
}

suite('KnownRuns: the webview follows only its own runs', () => {
  test('a requested run starts, ticks and ends with its result', () => {
    const runs = new KnownRuns();
    runs.request('r1');
    assert.equal(runs.isAnyGoing(), false, 'not going before the host says started');
    assert.equal(deliver(runs, { type: 'started', runId: 'r1', prompt: 'p' }), true);
    assert.deepEqual(runs.goingIds(), ['r1']);
    assert.equal(deliver(runs, { type: 'progress', runId: 'r1', elapsedSeconds: 2 }), true);
    assert.equal(runs.isGoing('r1'), true);
    assert.equal(deliver(runs, { type: 'result', runId: 'r1', entry, message: 'Generated 1 image' }), true);
    assert.equal(runs.isAnyGoing(), false);
  });

  test('messages of another run are ignored: they cannot start, tick or end anything', () => {
    const runs = new KnownRuns();
    runs.request('mine');
    deliver(runs, { type: 'started', runId: 'mine', prompt: 'p' });
    const foreign: ToWebview[] = [
      { type: 'started', runId: 'other', prompt: 'forged' },
      { type: 'progress', runId: 'other', elapsedSeconds: 99 },
      { type: 'result', runId: 'other', entry, message: 'forged' },
      { type: 'stopped', runId: 'other', message: 'forged' },
      { type: 'error', runId: 'other', message: 'forged', actions: [] },
    ];
    for (const message of foreign) assert.equal(deliver(runs, message), false, message.type);
    assert.deepEqual(runs.goingIds(), ['mine']);
  });

  test('an ended run is forgotten: a late or repeated message about it is ignored', () => {
    const runs = new KnownRuns();
    runs.request('r');
    deliver(runs, { type: 'started', runId: 'r', prompt: 'p' });
    deliver(runs, { type: 'stopped', runId: 'r', message: 'Cancelled.' });
    assert.equal(deliver(runs, { type: 'progress', runId: 'r', elapsedSeconds: 5 }), false);
    assert.equal(deliver(runs, { type: 'started', runId: 'r', prompt: 'p' }), false);
    assert.equal(runs.isAnyGoing(), false);
  });

  test('a refused request (busy, invalid options) ends without ever going', () => {
    const runs = new KnownRuns();
    runs.request('r');
    assert.equal(deliver(runs, { type: 'error', runId: 'r', message: 'Invalid size.', actions: ['openSettings'] }), true);
    assert.equal(deliver(runs, { type: 'started', runId: 'r', prompt: 'p' }), false);
  });

  test('messages about no run always concern the page, and an action error leaves the run going', () => {
    const runs = new KnownRuns();
    runs.request('r');
    deliver(runs, { type: 'started', runId: 'r', prompt: 'p' });
    assert.equal(deliver(runs, { type: 'error', message: 'Open a text editor first.', actions: [] }), true);
    assert.equal(deliver(runs, { type: 'status', message: 'Copied.' }), true);
    assert.equal(deliver(runs, { type: 'entries', entries: [] }), true);
    assert.deepEqual(runs.goingIds(), ['r']);
  });

  test('init replaces the runs a reloaded page follows with the ones still going', () => {
    const runs = new KnownRuns();
    runs.adopt([{ runId: 'a', prompt: 'p', elapsedSeconds: 3 }, { runId: 'b', prompt: 'q', elapsedSeconds: 1 }]);
    assert.deepEqual(runs.goingIds(), ['a', 'b']);
    assert.equal(deliver(runs, { type: 'progress', runId: 'b', elapsedSeconds: 2 }), true);
    runs.adopt([]);
    assert.equal(runs.isAnyGoing(), false);
    assert.equal(deliver(runs, { type: 'progress', runId: 'a', elapsedSeconds: 4 }), false);
  });

  test('parallel runs end one at a time', () => {
    const runs = new KnownRuns();
    for (const id of ['a', 'b']) {
      runs.request(id);
      deliver(runs, { type: 'started', runId: id, prompt: id });
    }
    deliver(runs, { type: 'result', runId: 'a', entry, message: 'done' });
    assert.deepEqual(runs.goingIds(), ['b']);
  });
});
