import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { maxEditTotalBytes, readEditFiles } from '../../src/core/editFiles';
import { ImageApiError } from '../../src/core/errors';
import { makePng } from '../fixtures/fakeImageServer';

async function refusal(promise: Promise<unknown>): Promise<ImageApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageApiError, String(error));
    assert.equal(error.kind, 'validation');
    return error;
  }
  assert.fail('expected a refusal');
}

suite('readEditFiles: what an edit may read (review M1, L4)', () => {
  let ws: string;
  setup(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-editfiles-'));
  });
  teardown(() => fs.rmSync(ws, { recursive: true, force: true }));

  test('L4: a FIFO given as the image is refused without opening it (an open would block a thread forever)', async function () {
    if (process.platform === 'win32') this.skip();
    const fifo = path.join(ws, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    const error = await refusal(readEditFiles({ images: [fifo] }, ws));
    assert.match(error.message, /"pipe\.png" is not a regular file \(a named pipe\)/);
    const mask = await refusal(readEditFiles({ images: [writePng('ok.png')], mask: fifo }, ws));
    assert.equal(mask.param, 'mask');
    assert.match(mask.message, /not a regular file/);
  });

  test('L4: a folder and /dev/zero (a device) are refused as not regular files', async function () {
    fs.mkdirSync(path.join(ws, 'dir.png'));
    assert.match((await refusal(readEditFiles({ images: [path.join(ws, 'dir.png')] }, ws))).message, /not a regular file \(a folder\)/);
    if (process.platform === 'win32') this.skip();
    assert.match((await refusal(readEditFiles({ images: ['/dev/zero'] }))).message, /not a regular file \(a device\)/);
  });

  test('M1: the files of one edit together are capped before any is read', async () => {
    // 16 sparse files of 40 MB each: each under the 50 MB limit, 640 MB together; nothing is read.
    const images = Array.from({ length: 16 }, (_, i) => {
      const file = path.join(ws, `ref-${i}.png`);
      fs.writeFileSync(file, '');
      fs.truncateSync(file, 40 * 1024 * 1024);
      return file;
    });
    const before = process.memoryUsage().arrayBuffers;
    const error = await refusal(readEditFiles({ images }, ws));
    assert.equal(error.param, 'images');
    assert.match(error.message, /The files of this edit are 640 MB together; an edit takes at most 64 MB in all/);
    assert.ok(process.memoryUsage().arrayBuffers - before < maxEditTotalBytes, 'the 640 MB were never allocated');
  });

  test('files within the limits are read whole, mask last', async () => {
    const read = await readEditFiles({ images: [writePng('a.png'), writePng('b.png')], mask: writePng('m.png') }, ws);
    assert.deepEqual(read.images.map((image) => image.name), ['a.png', 'b.png']);
    assert.equal(read.mask?.name, 'm.png');
    assert.ok(Buffer.from(read.images[0].bytes).equals(fs.readFileSync(path.join(ws, "a.png"))));
  });

  function writePng(name: string): string {
    const file = path.join(ws, name);
    fs.writeFileSync(file, makePng(8, 8, () => [1, 2, 3]));
    return file;
  }
});
