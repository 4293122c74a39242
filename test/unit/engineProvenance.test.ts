import * as assert from 'node:assert/strict';
import { watch } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { editAndSave, generateAndSave, readEditFiles, validateEdit } from '../../src/core/engine';
import type { EditRequest } from '../../src/core/editTypes';
import { photoPng } from '../fixtures/editImages';
import { readImageFileInfo } from '../../src/core/provenance/imageFileInfo';
import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';
import { signedPng } from '../fixtures/contentCredentials';

/** The engine's provenance hook (issue #15 §4) against the fixture server and a real temp folder. */
suite('generateAndSave embeds the prompt in unsigned PNGs', () => {
  let server: FakeImageServer;
  let ws: string;
  const request = { model: 'gpt-image-2', prompt: 'A heron at dawn', n: 2, size: '1536x1024', quality: 'low' as const };
  const client = (): { baseUrl: string; apiKey: string; maxRetries: number } => ({ baseUrl: server.baseUrl, apiKey: 'sk-prov', maxRetries: 0 });

  suiteSetup(async () => {
    server = await startFakeImageServer();
  });
  suiteTeardown(() => server.close());
  setup(async () => {
    ws = await fs.mkdtemp(path.join(os.tmpdir(), 'gis-engine-prov-'));
  });
  teardown(() => fs.rm(ws, { recursive: true, force: true }));

  test('with a stamp each saved PNG carries the prompt, options, its index and the request id', async () => {
    server.script({ headers: { 'x-request-id': 'req_prov' } });
    const { files } = await generateAndSave(request, client(), { kind: 'assets', workspaceRoot: ws, assetsFolder: 'assets' }, { provenance: { tool: 'gpt-image-studio/test' } });
    assert.equal(files.length, 2);
    const infos = await Promise.all(files.map(readImageFileInfo));
    assert.deepEqual(infos.map((info) => [info.provenance?.prompt, info.provenance?.index, info.provenance?.requestId, info.provenance?.size]), [
      ['A heron at dawn', 1, 'req_prov', '1536x1024'],
      ['A heron at dawn', 2, 'req_prov', '1536x1024'],
    ]);
    assert.deepEqual(infos.map((info) => [info.width, info.height]), [[1536, 1024], [1536, 1024]]);
    assert.deepEqual((await fs.readdir(path.join(ws, 'assets'))).filter((name) => name.startsWith('.')), [], 'no temp file left');
  });

  test('without a stamp (gptImage.embedPrompt off) the bytes are saved as received', async () => {
    const { files } = await generateAndSave({ ...request, n: 1 }, client(), { kind: 'assets', workspaceRoot: ws, assetsFolder: 'assets' });
    assert.equal((await readImageFileInfo(files[0])).provenance, undefined);
  });

  test('the assets folder swapped for a link into .git while the answer arrives: the stamped copy is not made there', async () => {
    await fs.mkdir(path.join(ws, '.git', 'hooks'), { recursive: true });
    await fs.mkdir(path.join(ws, 'assets'));
    server.script({ large: true, chunkSize: 65536, chunkDelayMs: 15 });
    const created: string[] = [];
    const watcher = watch(path.join(ws, '.git', 'hooks'), (_event, name) => name && created.push(String(name)));
    try {
      const pending = generateAndSave({ ...request, n: 1 }, client(), { kind: 'assets', workspaceRoot: ws, assetsFolder: 'assets' }, { provenance: { tool: 't' } });
      const spooled = async (): Promise<string | undefined> => (await fs.readdir(path.join(ws, 'assets'))).find((name) => name.startsWith('.gpt-image-'));
      for (let i = 0; i < 2000 && (await spooled()) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 2));
      const temp = await spooled();
      assert.ok(temp, 'the answer is decoded into a temp file while it arrives');
      // The folder becomes a link into .git, and the decoder's temp file is linked there too (same inode).
      await fs.rename(path.join(ws, 'assets'), path.join(ws, 'assets-old'));
      await fs.symlink(path.join(ws, '.git', 'hooks'), path.join(ws, 'assets'));
      await fs.link(path.join(ws, 'assets-old', temp), path.join(ws, '.git', 'hooks', temp));
      const error = await pending.then(
        () => assert.fail('saved through a link into .git'),
        (e: unknown) => e as { kind?: string; message: string },
      );
      assert.equal(error.kind, 'io', error.message);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual([...new Set(created)].filter((name) => name !== temp), [], 'no stamped temp file was created in .git');
    } finally {
      watcher.close();
    }
  });

  test('the disk fills up before the second stamped copy: the first copy goes too, no temp file is left', async () => {
    // Fault injection on the real module (the engine reads fs.promises.open at call time): the 4th
    // exclusive create (2 spooled images, then the stamped copies) fails as a full disk would.
    await fs.mkdir(path.join(ws, 'assets'));
    const live = require('node:fs/promises') as typeof fs;
    const open = live.open;
    let exclusive = 0;
    live.open = (async (file: Parameters<typeof open>[0], flags?: Parameters<typeof open>[1], mode?: Parameters<typeof open>[2]) => {
      if (flags === 'wx' && ++exclusive === 4) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return open(file, flags, mode);
    }) as typeof open;
    try {
      const error = await generateAndSave(request, client(), { kind: 'assets', workspaceRoot: ws, assetsFolder: 'assets' }, { provenance: { tool: 't' } }).then(
        () => assert.fail('saved although the disk was full'),
        (e: unknown) => e as { kind?: string; message: string },
      );
      assert.equal(error.kind, 'io');
      assert.match(error.message, /Could not add the prompt to the image in .*ENOSPC/);
    } finally {
      live.open = open;
    }
    assert.equal(exclusive, 4);
    assert.deepEqual(await fs.readdir(path.join(ws, 'assets')), [], 'every temp file removed, the stamped copy of the first image too');
  });

  test('cancel while the prompt is being added: the next image is not copied, nothing is left behind', async () => {
    await fs.mkdir(path.join(ws, 'assets'));
    const live = require('node:fs/promises') as typeof fs;
    const open = live.open;
    const controller = new AbortController();
    let exclusive = 0;
    live.open = (async (file: Parameters<typeof open>[0], flags?: Parameters<typeof open>[1], mode?: Parameters<typeof open>[2]) => {
      if (flags === 'wx' && ++exclusive === 3) controller.abort(); // the first image's stamped copy is being made
      return open(file, flags, mode);
    }) as typeof open;
    try {
      const error = await generateAndSave(request, client(), { kind: 'assets', workspaceRoot: ws, assetsFolder: 'assets' }, { provenance: { tool: 't' }, signal: controller.signal }).then(
        () => assert.fail('saved after the cancel'),
        (e: unknown) => e as { kind?: string },
      );
      assert.equal(error.kind, 'cancelled');
    } finally {
      live.open = open;
    }
    assert.equal(exclusive, 3, "the second image's copy was not started");
    assert.deepEqual(await fs.readdir(path.join(ws, 'assets')), []);
  });

  test('a signed PNG is saved byte for byte, stamp or not', async () => {
    const signed = signedPng();
    server.script({ imageBytes: signed });
    const { files } = await generateAndSave({ ...request, n: 1 }, client(), { kind: 'assets', workspaceRoot: ws, assetsFolder: 'assets' }, { provenance: { tool: 't' } });
    assert.deepEqual(await fs.readFile(files[0]), signed);
  });
});

/** Edits are stamped like generations (issue #13): prompt, options and the parents they came from. */
suite('editAndSave embeds the prompt and the parents in unsigned PNGs', () => {
  let server: FakeImageServer;
  let ws: string;
  const client = (): { baseUrl: string; apiKey: string; maxRetries: number } => ({ baseUrl: server.baseUrl, apiKey: 'sk-prov', maxRetries: 0 });
  const photo = photoPng(64, 48);

  suiteSetup(async () => {
    server = await startFakeImageServer();
  });
  suiteTeardown(() => server.close());
  setup(async () => {
    ws = await fs.mkdtemp(path.join(os.tmpdir(), 'gis-edit-prov-'));
    await fs.mkdir(path.join(ws, 'images'));
    await fs.writeFile(path.join(ws, 'images', 'hero.png'), photo);
    await fs.writeFile(path.join(ws, 'images', 'style.png'), photo);
  });
  teardown(() => fs.rm(ws, { recursive: true, force: true }));

  async function edit(n: number): Promise<EditRequest> {
    const read = await readEditFiles({ images: [path.join(ws, 'images', 'hero.png'), path.join(ws, 'images', 'style.png')] }, ws);
    return validateEdit({ prompt: 'Add a red hat', images: read.images, n, size: '1024x1024', quality: 'low' });
  }
  const target = (): { dir: string; root: string; original: string } => ({ dir: path.join(ws, 'images'), root: ws, original: 'hero.png' });

  test('each edit result carries the prompt, its index, the request id and the parents; the originals are untouched', async () => {
    server.script({ headers: { 'x-request-id': 'req_edit_prov' } });
    const stamp = { tool: 'gpt-image-studio/test', parents: ['images/hero.png', 'images/style.png'] };
    const { files } = await editAndSave(await edit(2), client(), target(), { provenance: stamp });
    assert.equal(files.length, 2);
    const infos = await Promise.all(files.map(readImageFileInfo));
    assert.deepEqual(
      infos.map((info) => [info.provenance?.prompt, info.provenance?.index, info.provenance?.n, info.provenance?.requestId, info.provenance?.parents, info.provenance?.tool]),
      [
        ['Add a red hat', 1, 2, 'req_edit_prov', ['images/hero.png', 'images/style.png'], 'gpt-image-studio/test'],
        ['Add a red hat', 2, 2, 'req_edit_prov', ['images/hero.png', 'images/style.png'], 'gpt-image-studio/test'],
      ],
    );
    assert.ok(infos.every((info) => info.problems.length === 0 && info.width === 1024), 'still a well-formed PNG');
    assert.deepEqual(await fs.readFile(path.join(ws, 'images', 'hero.png')), photo, 'the parent is never altered');
    assert.deepEqual((await fs.readdir(path.join(ws, 'images'))).filter((name) => name.startsWith('.')), [], 'no temp file left');
  });

  test('without a stamp (gptImage.embedPrompt off) an edit result is saved as received', async () => {
    const { files } = await editAndSave(await edit(1), client(), target());
    assert.equal((await readImageFileInfo(files[0])).provenance, undefined);
  });

  test('a signed (C2PA) edit result is saved byte for byte even with a stamp', async () => {
    const signed = signedPng();
    server.script({ imageBytes: signed });
    const { files } = await editAndSave(await edit(1), client(), target(), { provenance: { tool: 't', parents: ['images/hero.png'] } });
    assert.deepEqual(await fs.readFile(files[0]), signed);
  });
});
