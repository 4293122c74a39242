import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ClientOptions } from '../../src/core/api/client';
import { ImageApiError, type ImageErrorKind } from '../../src/core/errors';
import { generateAndSave, type SaveTarget } from '../../src/core/engine';
import { resolveAssetsDirReal } from '../../src/core/paths';
import type { GenerationRequest } from '../../src/core/types';
import { sniffImage, startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';

const now = (): Date => new Date(2024, 4, 6, 7, 8, 9);
const fox: GenerationRequest = { model: 'gpt-image-2', prompt: 'A red fox', n: 1, size: '1024x1024' };

/** Every entry of `dir`, dotfiles (our temp files) included; [] when it does not exist. */
async function listing(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function rejectsWith(promise: Promise<unknown>, kind: ImageErrorKind): Promise<ImageApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageApiError, `expected ImageApiError, got ${String(error)}`);
    assert.equal(error.kind, kind, `kind of "${error.message}"`);
    return error;
  }
  assert.fail(`expected an ImageApiError of kind ${kind}`);
}

suite('generateAndSave: request → files, against the fixture server', () => {
  let server: FakeImageServer;
  let client: ClientOptions;
  let tmp: string;
  let ws: string;
  let docs: string;

  suiteSetup(async () => {
    server = await startFakeImageServer();
    // No retries and no backoff waits: one request per generation keeps the counts exact and the run fast.
    client = { baseUrl: server.baseUrl, apiKey: 'sk-test-pipeline', maxRetries: 0, sleep: async () => undefined };
  });

  suiteTeardown(async () => {
    await server.close();
  });

  setup(async () => {
    server.reset();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'gpt-image-pipeline-'));
    ws = path.join(tmp, 'my site');
    docs = path.join(ws, 'docs');
    await fs.mkdir(docs, { recursive: true });
  });

  teardown(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const assets = (assetsFolder = 'assets'): SaveTarget => ({ kind: 'assets', workspaceRoot: ws, assetsFolder });
  const file = (name: string): SaveTarget => ({ kind: 'file', filePath: path.join(docs, name) });

  test('assets folder: <slug>-<yyyymmdd-hhmmss>.png from the injected clock, -1, -2… for several', async () => {
    const one = await generateAndSave(fox, client, assets(), { now });
    assert.deepEqual(one.files, [path.join(ws, 'assets', 'a-red-fox-20240506-070809.png')]);
    assert.equal(sniffImage(await fs.readFile(one.files[0])), 'png');

    const two = await generateAndSave({ ...fox, n: 2 }, client, assets(), { now });
    assert.deepEqual(
      two.files.map((f) => path.basename(f)),
      ['a-red-fox-20240506-070809-1.png', 'a-red-fox-20240506-070809-2.png'],
    );
    assert.deepEqual(await listing(path.join(ws, 'assets')), [
      'a-red-fox-20240506-070809-1.png',
      'a-red-fox-20240506-070809-2.png',
      'a-red-fox-20240506-070809.png',
    ]);
    assert.equal(server.requests.length, 2);
  });

  test('a bad assetsFolder is refused before any request is made', async () => {
    const outside = path.join(tmp, 'elsewhere');
    for (const assetsFolder of ['../x', '..', outside, '/etc', 'C:\\x', '~/pictures']) {
      const error = await rejectsWith(generateAndSave(fox, client, assets(assetsFolder), { now }), 'validation');
      assert.equal(error.param, 'assetsFolder', assetsFolder);
    }
    assert.equal(server.requests.length, 0, 'the server was never asked');
    assert.deepEqual(await listing(tmp), ['my site']);
    assert.deepEqual(await listing(ws), ['docs']);
  });

  test('a file target names one image after the file', async () => {
    const { files } = await generateAndSave(fox, client, file('hero.png'), { now });
    assert.deepEqual(files, [path.join(docs, 'hero.png')]);
    assert.deepEqual(await listing(docs), ['hero.png']);
  });

  test('a file target numbers several images: hero-1.png, hero-2.png', async () => {
    const { files } = await generateAndSave({ ...fox, n: 2 }, client, file('hero.png'), { now });
    assert.deepEqual(files, [path.join(docs, 'hero-1.png'), path.join(docs, 'hero-2.png')]);
    assert.deepEqual(await listing(docs), ['hero-1.png', 'hero-2.png']);
  });

  test('the extension follows the bytes: webp output saved as .webp though the target said .png', async () => {
    const { files, result } = await generateAndSave({ ...fox, outputFormat: 'webp' }, client, file('hero.png'), { now });
    assert.equal(result.outputFormat, 'webp');
    assert.deepEqual(files, [path.join(docs, 'hero.webp')]);
    assert.equal(sniffImage(await fs.readFile(files[0])), 'webp');
    assert.deepEqual(await listing(docs), ['hero.webp']);
  });

  test('a 255-byte file name from the save dialog works for several images, another format and a second save (review of #9, F5)', async () => {
    const base = 'h'.repeat(251);
    const target = file(`${base}.png`); // 255 bytes: the most a save dialog returns
    const first = await generateAndSave(fox, client, target, { now });
    const webp = await generateAndSave({ ...fox, outputFormat: 'webp' }, client, target, { now });
    const two = await generateAndSave({ ...fox, n: 2 }, client, target, { now });
    const again = await generateAndSave(fox, client, target, { now });
    assert.deepEqual(
      [...first.files, ...webp.files, ...two.files, ...again.files].map((f) => path.basename(f)),
      [`${base}.png`, `${'h'.repeat(250)}.webp`, `${'h'.repeat(249)}-1.png`, `${'h'.repeat(249)}-2.png`, `${'h'.repeat(249)}-3.png`],
    );
    for (const name of await listing(docs)) assert.ok(Buffer.byteLength(name) <= 255, name);
    assert.equal((await listing(docs)).length, 5);
  });

  test('an existing hero.png is never overwritten: the image becomes hero-1.png', async () => {
    await fs.writeFile(path.join(docs, 'hero.png'), 'mine');
    const { files } = await generateAndSave(fox, client, file('hero.png'), { now });
    assert.deepEqual(files, [path.join(docs, 'hero-1.png')]);
    assert.equal(await fs.readFile(path.join(docs, 'hero.png'), 'utf8'), 'mine');
    assert.equal(sniffImage(await fs.readFile(files[0])), 'png');
    assert.deepEqual(await listing(docs), ['hero-1.png', 'hero.png']);
  });

  test('a server error leaves the target folders as they were, temp files included', async () => {
    await fs.mkdir(path.join(ws, 'assets'));
    await fs.writeFile(path.join(ws, 'assets', 'old.png'), 'old');
    server.script({ status: 500, error: { message: 'The server had an error', type: 'server_error' } });
    await rejectsWith(generateAndSave({ ...fox, n: 2 }, client, assets(), { now }), 'server');
    assert.deepEqual(await listing(path.join(ws, 'assets')), ['old.png']);

    server.script({ status: 500, error: { message: 'The server had an error', type: 'server_error' } });
    await rejectsWith(generateAndSave(fox, client, file('hero.png'), { now }), 'server');
    assert.deepEqual(await listing(docs), []);
    assert.equal(server.requests.length, 2);
  });

  test('a bad response (truncated JSON) saves nothing either', async () => {
    server.script({ truncatedJson: true });
    await rejectsWith(generateAndSave(fox, client, assets(), { now }), 'badResponse');
    assert.deepEqual(await listing(ws), ['docs'], 'not even the assets folder was created');
  });

  /** Runs `change` as soon as the (slowed) request has reached the server: the folder changes mid-request. */
  async function duringRequest<T>(pending: Promise<T>, change: () => Promise<void>): Promise<T> {
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await change();
    return pending;
  }

  test('an assets folder swapped for a symlink during the request is refused; nothing is written outside', async () => {
    const outside = path.join(tmp, 'outside');
    await fs.mkdir(outside);
    await fs.mkdir(path.join(ws, 'assets'));
    server.script({ delayMs: 200 });
    const pending = generateAndSave(fox, client, assets(), { now });
    const error = await rejectsWith(
      duringRequest(pending, async () => {
        await fs.rename(path.join(ws, 'assets'), path.join(ws, 'assets-old'));
        await fs.symlink(outside, path.join(ws, 'assets'));
      }),
      'io',
    );
    assert.match(error.message, /leads outside the workspace folder through a symbolic link/);
    assert.deepEqual(await listing(outside), []);
    assert.deepEqual(await listing(path.join(ws, 'assets-old')), []);
  });

  test('a parent missing at check time and linked outside during the request gets no folder made through it', async () => {
    const outside = path.join(tmp, 'outside');
    await fs.mkdir(outside);
    server.script({ delayMs: 200 });
    const pending = generateAndSave(fox, client, assets('gen/img'), { now });
    await rejectsWith(
      duringRequest(pending, () => fs.symlink(outside, path.join(ws, 'gen'))),
      'io',
    );
    assert.deepEqual(await listing(outside), [], 'mkdir -p would have made img here and saved into it');
  });

  /** Everything below `dir`, recursively (dotfiles included). */
  async function tree(dir: string): Promise<string[]> {
    return (await fs.readdir(dir, { recursive: true })).sort();
  }

  test('issue #12: the assets folder swapped for a link into .git after the confirmation is refused before the request; nothing in .git', async () => {
    await fs.mkdir(path.join(ws, '.git', 'hooks'), { recursive: true });
    await fs.mkdir(path.join(ws, 'assets'));
    // The confirmation's resolve sees a plain folder…
    assert.equal(await resolveAssetsDirReal(ws, 'assets'), path.join(ws, 'assets'));
    // …then, while the user reads it, the folder becomes a link into .git (inside the workspace, so "inside" alone passes).
    await fs.rename(path.join(ws, 'assets'), path.join(ws, 'assets-old'));
    await fs.symlink(path.join(ws, '.git', 'hooks'), path.join(ws, 'assets'));
    const error = await rejectsWith(generateAndSave(fox, client, assets(), { now }), 'validation');
    assert.match(error.message, /version control metadata \(".git"\) through a symbolic link/);
    assert.equal(server.requests.length, 0, 'refused before anything was sent (nothing billed)');
    assert.deepEqual(await tree(path.join(ws, '.git')), ['hooks']);
  });

  test('issue #12: a parent missing at check time and linked into .git during the request: no folder made there, nothing written', async () => {
    await fs.mkdir(path.join(ws, '.git', 'hooks'), { recursive: true });
    server.script({ delayMs: 200 });
    const pending = generateAndSave(fox, client, assets('gen/img'), { now });
    const error = await rejectsWith(
      duringRequest(pending, () => fs.symlink(path.join(ws, '.git', 'hooks'), path.join(ws, 'gen'))),
      'io',
    );
    assert.match(error.message, /leads into version control metadata \(".git"\)/);
    assert.deepEqual(await tree(path.join(ws, '.git')), ['hooks'], 'a recursive mkdir through gen would have made .git/hooks/img and saved into it');
    assert.deepEqual((await listing(ws)).filter((name) => name.startsWith('.gpt-image')), [], 'the temp files went too');
  });

  test('prompts in other scripts give readable file names on disk', async () => {
    const prompts: [string, string][] = [
      ['夕焼けの富士山', '夕焼けの富士山-20240506-070809.png'],
      ['Рыжая лиса', 'рыжая-лиса-20240506-070809.png'],
      ['Καλημέρα', 'καλημέρα-20240506-070809.png'],
      ['قطة', 'قطة-20240506-070809.png'],
      ['🦊🦊🦊', 'image-20240506-070809.png'],
    ];
    for (const [prompt, name] of prompts) {
      const { files } = await generateAndSave({ ...fox, prompt: prompt.normalize('NFD') }, client, assets(), { now });
      assert.deepEqual(files, [path.join(ws, 'assets', name)]);
      assert.equal(sniffImage(await fs.readFile(files[0])), 'png');
    }
    assert.deepEqual(await listing(path.join(ws, 'assets')), prompts.map(([, name]) => name).sort());
  });

  test('an abort while the request is in flight rejects as cancelled and leaves nothing', async () => {
    const controller = new AbortController();
    server.script({ delayMs: 5000 });
    const started = Date.now();
    const pending = generateAndSave({ ...fox, n: 2 }, client, file('hero.png'), { now, signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await rejectsWith(pending, 'cancelled');
    assert.ok(Date.now() - started < 2000, 'did not wait for the slow answer');
    assert.deepEqual(await listing(docs), []);
    assert.equal(server.requests.length, 1);
  });
});
