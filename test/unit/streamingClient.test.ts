import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateImages, generateImagesToFiles, type ClientOptions } from '../../src/core/api/client';
import { generateAndSave } from '../../src/core/engine';
import { ImageApiError } from '../../src/core/errors';
import { saveImages } from '../../src/core/save';
import { tempPattern } from '../../src/core/tempFile';
import type { GenerationRequest, SpooledGenerationResult } from '../../src/core/types';
import { largePng, smallPng, startFakeImageServer, tinyJpeg, tinyPng, type FakeImageServer, type FakeResponse } from '../fixtures/fakeImageServer';

// The streaming decode through real HTTP (issue #11, part 3): the fixture server answers, the client
// decodes into temp files, the engine renames them into place. A hostile answer must end exactly as the
// in-memory path ends it (same error, same bytes), and no temp file may outlive a failure.

const key = 'sk-stream-0123456789abcdef';
const cat: GenerationRequest = { model: 'gpt-image-2', prompt: 'A cat', n: 1, size: '1024x1024' };
let server: FakeImageServer;
let tmp: string;

suiteSetup(async () => {
  server = await startFakeImageServer({ requireKey: key });
});
suiteTeardown(async () => {
  await server.close();
});
setup(async () => {
  server.reset();
  tmp = await fsPromises.mkdtemp(path.join(os.tmpdir(), 'gis-stream-http-'));
});
teardown(async () => {
  await fsPromises.rm(tmp, { recursive: true, force: true });
});

const options = (extra: Partial<ClientOptions> = {}): ClientOptions => ({ baseUrl: server.baseUrl, apiKey: key, maxRetries: 0, ...extra });

function temps(dir = tmp): string[] {
  return fs.readdirSync(dir).filter((name) => tempPattern.test(name));
}

async function outcome(promise: Promise<{ images: readonly unknown[] } | { files: readonly unknown[] }>): Promise<string> {
  try {
    const result = await promise;
    return `ok ${'images' in result ? result.images.length : result.files.length}`;
  } catch (error) {
    // The fixture's `created` is the second it answered: two answers may differ there only.
    const text = error instanceof ImageApiError ? `${error.kind}: ${error.message}` : `other: ${String(error)}`;
    return text.replace(/"created":\d+/g, '"created":…');
  }
}

function bytesOf(result: SpooledGenerationResult): Buffer[] {
  return result.images.map((image) => ('tempFile' in image ? fs.readFileSync(image.tempFile) : image.bytes));
}

suite('streaming decode through HTTP: client and engine against the fixture server', () => {
  test('n = 3 large PNGs in odd-sized chunks arrive as complete temp files, then as the saved files', async () => {
    server.script({ large: true, chunkSize: 7777 });
    const result = await generateImagesToFiles({ ...cat, n: 3 }, options(), { dir: tmp });
    assert.equal(result.images.length, 3);
    for (const image of result.images) assert.ok('tempFile' in image && path.dirname(image.tempFile) === tmp);
    for (const bytes of bytesOf(result)) assert.ok(bytes.equals(largePng()));
    assert.equal(result.outputFormat, 'png');
    assert.equal(typeof result.created, 'number');
    assert.ok(result.usage?.total_tokens);
    for (const image of result.images) if ('tempFile' in image) fs.rmSync(image.tempFile);

    server.script({ large: true, chunkSize: 4093 });
    const saved = await generateAndSave({ ...cat, n: 2 }, options(), { kind: 'assets', workspaceRoot: tmp, assetsFolder: 'assets' });
    assert.equal(saved.files.length, 2);
    for (const file of saved.files) assert.ok(fs.readFileSync(file).equals(largePng()));
    assert.deepEqual(saved.result.images.map((image) => image.byteLength), [largePng().length, largePng().length]);
    // The assets folder did not exist: the temp files were made in the workspace folder and moved.
    assert.deepEqual(temps(), []);
    assert.deepEqual(temps(path.join(tmp, 'assets')), []);
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'assets')).length, 2);
  });

  test('a hostile or unusual answer ends exactly as the in-memory path ends it, with no temp file left', async function () {
    this.timeout(60_000);
    const html = Buffer.from('<!DOCTYPE html><html><body><h1>Not an image</h1></body></html>');
    const b64 = tinyPng().toString('base64');
    const cases: Record<string, { request?: Partial<GenerationRequest>; response: FakeResponse; extra?: Partial<ClientOptions> }> = {
      '11 images for n = 10': { request: { n: 10 }, response: { imageCount: 11, imageBytes: tinyPng() } },
      'b64 that decodes to HTML': { response: { imageBytes: html } },
      'a JPEG among PNGs': { request: { n: 2 }, response: { json: { data: [{ b64_json: b64 }, { b64_json: tinyJpeg.toString('base64') }] } } },
      'invalid base64': { response: { invalidBase64: true } },
      'truncated JSON': { response: { truncatedJson: true, large: true } },
      'no images': { response: { emptyData: true } },
      'escaped slashes': { response: { text: `{"data":[{"b64_json":"${b64.replace(/\//g, '\\/')}"}]}`, contentType: 'application/json' } },
      'b64_json twice in one item': { response: { text: `{"data":[{"b64_json":"${smallPng().toString('base64')}","b64_json":"${b64}"}]}`, contentType: 'application/json' } },
      'data repeated': { response: { text: `{"data":[{"b64_json":"${b64}"}],"data":[{"b64_json":"${smallPng().toString('base64')}"}]}`, contentType: 'application/json' } },
      'a 3 GB declared body': { response: { large: true, headers: { 'content-length': '3000000000' } } },
      'a 3 GB body': { response: { hugeBytes: 3e9 }, extra: { maxResponseBytes: 5_000_000 } },
      'a body over the budget': { request: { n: 4 }, response: { large: true, chunkSize: 65_536 }, extra: { maxResponseBytes: 6_000_000 } },
    };
    for (const [name, { request, response, extra }] of Object.entries(cases)) {
      server.script(response);
      const inMemory = await outcome(generateImages({ ...cat, ...request }, options(extra)));
      server.script(response);
      const streamed = await outcome(generateImagesToFiles({ ...cat, ...request }, options(extra), { dir: tmp }));
      assert.equal(streamed, inMemory, name);
      assert.deepEqual(temps(), [], name);
      if (streamed.startsWith('ok')) {
        server.script(response);
        const result = await generateImagesToFiles({ ...cat, ...request }, options(extra), { dir: tmp });
        server.script(response);
        const memory = await generateImages({ ...cat, ...request }, options(extra));
        assert.deepEqual(bytesOf(result), memory.images.map((image) => image.bytes), name);
        for (const image of result.images) if ('tempFile' in image) fs.rmSync(image.tempFile);
      }
    }
  });

  test('cancel mid-body rejects as cancelled and removes the temp files begun', async () => {
    server.script({ large: true, chunkSize: 16_384, chunkDelayMs: 20 });
    const controller = new AbortController();
    const pending = outcome(generateImagesToFiles({ ...cat, n: 2 }, options(), { dir: tmp }, controller.signal));
    while (temps().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    assert.match(await pending, /^cancelled:/);
    assert.deepEqual(temps(), []);
  });

  test('a connection reset mid-base64 is reported as possibly charged, not retried, and leaves nothing', async () => {
    server.script({ large: true, resetAfterBytes: 1_000_000 });
    const result = await outcome(generateImagesToFiles({ ...cat, n: 2 }, options({ maxRetries: 2 }), { dir: tmp }));
    assert.match(result, /^network:.*may already have been generated and charged/);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(temps(), []);
  });

  test('the engine cancelled mid-body saves nothing and leaves no temp file in the workspace', async () => {
    server.script({ large: true, chunkSize: 16_384, chunkDelayMs: 20 });
    const controller = new AbortController();
    await fsPromises.mkdir(path.join(tmp, 'assets'));
    const pending = outcome(generateAndSave(cat, options(), { kind: 'assets', workspaceRoot: tmp, assetsFolder: 'assets' }, { signal: controller.signal }));
    while (temps(path.join(tmp, 'assets')).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    assert.match(await pending, /^cancelled:/);
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'assets')), []);
  });

  test('a process killed mid-body leaves only a hidden temp file of our pattern, which a later save sweeps', async function () {
    this.timeout(30_000);
    server.script({ large: true, chunkSize: 16_384, chunkDelayMs: 50 });
    const script = path.join(tmp, 'child.js');
    const client = path.join(__dirname, '..', '..', 'src', 'core', 'api', 'client.js');
    await fsPromises.writeFile(
      script,
      `require(${JSON.stringify(client)}).generateImagesToFiles(${JSON.stringify(cat)}, ${JSON.stringify(options())}, { dir: process.argv[2] });\n`,
    );
    const dir = path.join(tmp, 'ws');
    await fsPromises.mkdir(dir);
    const child = fork(script, [dir], { stdio: 'ignore' });
    while (temps(dir).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const left = fs.readdirSync(dir);
    assert.equal(left.length, 1);
    assert.match(left[0]!, tempPattern);
    // The sweep takes temp files an hour old (by mtime and ctime): two hours later, the next save does.
    const realNow = Date.now;
    Date.now = () => realNow() + 2 * 3600_000;
    try {
      await saveImages({ dir, names: ['a.png'], images: [tinyPng()] });
    } finally {
      Date.now = realNow;
    }
    assert.deepEqual(fs.readdirSync(dir), ['a.png']);
  });
});
