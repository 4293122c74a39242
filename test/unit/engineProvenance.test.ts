import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateAndSave } from '../../src/core/engine';
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

  test('a signed PNG is saved byte for byte, stamp or not', async () => {
    const signed = signedPng();
    server.script({ imageBytes: signed });
    const { files } = await generateAndSave({ ...request, n: 1 }, client(), { kind: 'assets', workspaceRoot: ws, assetsFolder: 'assets' }, { provenance: { tool: 't' } });
    assert.deepEqual(await fs.readFile(files[0]), signed);
  });
});
