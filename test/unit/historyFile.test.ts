import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendHistoryRecord, historyFileName, isSafeRelativePath, maxHistoryReadBytes, readHistoryRecords, type SharedHistoryRecord } from '../../src/core/provenance/historyFile';

const record = (id: string, extra: Partial<SharedHistoryRecord> = {}): SharedHistoryRecord => ({
  v: 1,
  id,
  prompt: 'A lighthouse',
  model: 'gpt-image-2',
  options: { size: '1024x1024', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' },
  files: [`assets/${id}.png`],
  createdAt: 1_700_000_000_000,
  ...extra,
});

suite('the repository history file (issue #15)', () => {
  let root: string;
  let assets: string;
  let file: string;
  setup(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gis-histfile-')));
    assets = path.join(root, 'assets');
    fs.mkdirSync(assets);
    file = path.join(assets, historyFileName);
  });
  teardown(() => fs.rmSync(root, { recursive: true, force: true }));

  test('appends one JSON line per generation and reads them back; newlines and U+2028 in prompts stay inside the line', async () => {
    await appendHistoryRecord(assets, record('a1', { prompt: 'line one\nline two\u2028three' }));
    await appendHistoryRecord(assets, record('a2'));
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(text.split('\n').length, 3, 'two lines and the final newline');
    assert.ok(!text.includes('\u2028'));
    const read = await readHistoryRecords(assets, root);
    assert.deepEqual(read.map((r) => [r.id, r.prompt]), [['a1', 'line one\nline two\u2028three'], ['a2', 'A lighthouse']]);
  });

  test('concurrent appends never interleave inside a line', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, k) => appendHistoryRecord(assets, record(`c${k}`, { prompt: 'x'.repeat(5000) }))));
    const read = await readHistoryRecords(assets, root);
    assert.equal(read.length, 40);
  });

  test('a file without a final newline (a crash, a hand edit) gets one before the next line', async () => {
    fs.writeFileSync(file, JSON.stringify(record('h1')));
    await appendHistoryRecord(assets, record('h2'));
    assert.deepEqual((await readHistoryRecords(assets, root)).map((r) => r.id), ['h1', 'h2']);
  });

  test('never appends through a symbolic link or to a hard-linked file', async () => {
    const outside = path.join(root, '..', `victim-${path.basename(root)}`);
    fs.writeFileSync(outside, 'precious\n');
    try {
      fs.symlinkSync(outside, file);
      await assert.rejects(appendHistoryRecord(assets, record('s1')), /not a plain file/);
      fs.unlinkSync(file);
      fs.linkSync(outside, file);
      await assert.rejects(appendHistoryRecord(assets, record('s2')), /not a plain file/);
      assert.equal(fs.readFileSync(outside, 'utf8'), 'precious\n');
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });

  test('hostile records are dropped: paths outside the workspace, absolute, backslashes, links out, bad shapes', async () => {
    fs.mkdirSync(path.join(root, 'linked'));
    fs.symlinkSync('/etc/passwd', path.join(assets, 'passwd.png'));
    const lines = [
      record('ok1'),
      record('up', { files: ['../../etc/passwd'] }),
      record('abs', { files: ['/etc/passwd'] }),
      record('win', { files: ['C:/Windows/win.ini'] }),
      record('bs', { files: ['assets\\..\\..\\x.png'] }),
      record('link', { files: ['assets/passwd.png'] }),
      record('notimage', { files: ['package.json'] }),
      record('env', { files: ['assets/ok.png', '.env'] }),
      { ...record('badopts'), options: { size: 1 } },
      { ...record('v2'), v: 2 },
      'not json at all',
      record('ok2', { parents: ['assets/ok1.png', '../outside.png'] }),
    ].map((line) => (typeof line === 'string' ? line : JSON.stringify(line)));
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const read = await readHistoryRecords(assets, root);
    assert.deepEqual(read.map((r) => r.id), ['ok1', 'ok2']);
    assert.deepEqual(read[1].parents, ['assets/ok1.png'], 'an unsafe parent path is dropped');
  });

  test('a history file that is itself a link out of the workspace is not read', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'h.jsonl'), `${JSON.stringify(record('x'))}\n`);
      fs.symlinkSync(path.join(outside, 'h.jsonl'), file);
      assert.deepEqual(await readHistoryRecords(assets, root), []);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a huge file (sparse, 1 GB) costs only its last 4 MB', async () => {
    const handle = fs.openSync(file, 'w');
    fs.ftruncateSync(handle, 1024 * 1024 * 1024);
    fs.writeSync(handle, `\n${JSON.stringify(record('tail'))}\n`, 1024 * 1024 * 1024);
    fs.closeSync(handle);
    const read = await readHistoryRecords(assets, root);
    assert.deepEqual(read.map((r) => r.id), ['tail']);
    assert.ok(maxHistoryReadBytes <= 4 * 1024 * 1024);
  });

  test('safe relative paths', () => {
    for (const ok of ['assets/a.png', 'a b/c (1).png']) assert.ok(isSafeRelativePath(ok), ok);
    for (const bad of ['', '/a', '../a', 'a/../b', 'a//b', './a', 'a\\b', 'C:/x', 'a\u0000b', 'a\nb']) assert.ok(!isSafeRelativePath(bad), JSON.stringify(bad));
  });
});
