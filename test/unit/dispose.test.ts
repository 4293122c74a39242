import * as assert from 'node:assert/strict';
import { Disposable, disposeAll } from '../../src/common/dispose';

class Owner extends Disposable {
  add(name: string, log: string[]): { dispose(): void } {
    return this._register({ dispose: () => void log.push(name) });
  }
  get disposed(): boolean {
    return this.isDisposed;
  }
}

suite('Disposable', () => {
  test('dispose releases what was registered once, the last first', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.add('a', log);
    owner.add('b', log);
    owner.dispose();
    owner.dispose();
    assert.deepEqual(log, ['b', 'a']);
    assert.equal(owner.disposed, true);
  });

  test('what is registered after dispose is released at once', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.dispose();
    owner.add('late', log);
    assert.deepEqual(log, ['late']);
  });

  test('disposeAll empties the list', () => {
    const log: string[] = [];
    const list = [{ dispose: () => void log.push('x') }, { dispose: () => void log.push('y') }];
    disposeAll(list);
    assert.deepEqual([log, list.length], [['y', 'x'], 0]);
  });
});
