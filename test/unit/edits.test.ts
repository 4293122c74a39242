import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { File, FormData, request } from 'undici';
import type { ClientOptions } from '../../src/core/api/client';
import { editImages } from '../../src/core/api/edits';
import { editAndSave, editFileNames, readEditFiles, validateEdit } from '../../src/core/engine';
import { ImageApiError, type ImageErrorKind } from '../../src/core/errors';
import type { EditRequest } from '../../src/core/editTypes';
import { maskPng, photoJpeg, photoPng } from '../fixtures/editImages';
import { sniffImage, startFakeImageServer, type FakeImageServer, type RecordedRequest } from '../fixtures/fakeImageServer';

const key = 'sk-test-EDITS-0123456789abcdef';
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const photo = photoPng(64, 48);
const mask = maskPng(64, 48, (x, y) => x >= 16 && x < 48 && y >= 12 && y < 36);

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

/** The recorded parts without the hashes, for readable comparisons. */
function shape(recorded: RecordedRequest): unknown[] {
  return (recorded.parts ?? []).map(({ name, filename, contentType, value }) => ({ name, ...(filename && { filename, contentType }), ...(value !== undefined && { value }) }));
}

suite('editImages: multipart on the wire, against the fixture server', () => {
  let server: FakeImageServer;
  let client: ClientOptions;

  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key });
    client = { baseUrl: server.baseUrl, apiKey: key, sleep: async () => undefined, random: () => 0 };
  });
  suiteTeardown(async () => server.close());
  setup(() => server.reset());

  test('one image: model, prompt, `image` with its filename and type, n, size — nothing else', async () => {
    const edit = await validateEdit({ prompt: 'Add a red hat', images: [{ name: 'photo.png', bytes: photo }] });
    const result = await editImages(edit, client);
    assert.equal(result.images.length, 1);
    assert.equal(sniffImage(result.images[0].bytes), 'png');
    const [recorded] = server.requests;
    assert.equal(recorded.url, '/v1/images/edits');
    assert.match(String(recorded.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.deepEqual(shape(recorded), [
      { name: 'model', value: 'gpt-image-2' },
      { name: 'prompt', value: 'Add a red hat' },
      { name: 'image', filename: 'photo.png', contentType: 'image/png' },
      { name: 'n', value: '1' },
      { name: 'size', value: '1024x1024' },
    ]);
    const image = recorded.parts![2];
    assert.equal(image.size, photo.length);
    assert.equal(image.sha256, sha(photo));
  });

  test('a masked edit with references: repeated image[] in order, the mask, the options; never input_fidelity or moderation', async () => {
    const jpeg = photoJpeg(32, 32);
    const edit = await validateEdit({
      prompt: 'Replace the sky with a sunset',
      images: [{ name: 'beach.png', bytes: photo }, { name: 'sunset ref.jpg', bytes: jpeg }, { name: 'palette.png', bytes: photoPng(16, 16) }],
      mask: { name: 'beach-mask.png', bytes: mask },
      n: 2,
      size: '1536x1024',
      quality: 'high',
      background: 'opaque',
      outputFormat: 'webp',
      outputCompression: 80,
    });
    const result = await editImages(edit, client);
    assert.equal(result.images.length, 2);
    assert.equal(result.outputFormat, 'webp');
    const [recorded] = server.requests;
    assert.deepEqual(shape(recorded), [
      { name: 'model', value: 'gpt-image-2' },
      { name: 'prompt', value: 'Replace the sky with a sunset' },
      { name: 'image[]', filename: 'beach.png', contentType: 'image/png' },
      { name: 'image[]', filename: 'sunset-ref.jpg', contentType: 'image/jpeg' },
      { name: 'image[]', filename: 'palette.png', contentType: 'image/png' },
      { name: 'mask', filename: 'beach-mask.png', contentType: 'image/png' },
      { name: 'n', value: '2' },
      { name: 'size', value: '1536x1024' },
      { name: 'quality', value: 'high' },
      { name: 'background', value: 'opaque' },
      { name: 'output_format', value: 'webp' },
      { name: 'output_compression', value: '80' },
    ]);
    const parts = recorded.parts!;
    assert.deepEqual(parts.slice(2, 6).map((part) => part.sha256), [sha(photo), sha(jpeg), sha(photoPng(16, 16)), sha(mask)]);
    assert.ok(!parts.some((part) => part.name === 'input_fidelity' || part.name === 'moderation' || part.name === 'response_format'));
  });

  test('a retry rebuilds the form: the second attempt carries every part again, byte for byte', async () => {
    const edit = await validateEdit({ prompt: 'Make it night', images: [{ name: 'photo.png', bytes: photo }], mask: { name: 'mask.png', bytes: mask } });
    server.script({ status: 503, error: { message: 'Overloaded', type: 'server_error' } });
    await editImages(edit, client);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(server.requests[1].parts, server.requests[0].parts);
    assert.equal(server.requests[1].parts!.find((part) => part.name === 'mask')?.sha256, sha(mask));
  });

  test('a hostile server answering 5 images for n = 1 gets nothing saved', async () => {
    const edit = await validateEdit({ prompt: 'Hat', images: [{ name: 'photo.png', bytes: photo }] });
    server.script({ imageCount: 5 });
    const error = await rejectsWith(editImages(edit, client), 'badResponse');
    assert.match(error.message, /5 images but 1 was asked for/);
  });

  test('errors are the generation classes: 401 → auth, key redacted, not retried', async () => {
    const edit = await validateEdit({ prompt: 'Hat', images: [{ name: 'photo.png', bytes: photo }] });
    const wrong = 'sk-wrong-0123456789abcdef';
    const error = await rejectsWith(editImages(edit, { ...client, apiKey: wrong }), 'auth');
    assert.equal(server.requests.length, 1);
    assert.ok(!`${error.message} ${error.excerpt ?? ''}`.includes(wrong));
  });
});

suite('fixture /images/edits: strict like the real API', () => {
  let server: FakeImageServer;
  suiteSetup(async () => {
    server = await startFakeImageServer();
  });
  suiteTeardown(async () => server.close());

  async function post(form: FormData): Promise<{ status: number; error: Record<string, unknown> }> {
    const response = await request(`${server.baseUrl}/images/edits`, { method: 'POST', body: form, headers: { authorization: 'Bearer k' } });
    const json = (await response.body.json()) as { error?: Record<string, unknown> };
    return { status: response.statusCode, error: json.error ?? {} };
  }

  function form(fields: Record<string, string>, files: [string, Buffer, string, string][]): FormData {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    for (const [name, bytes, filename, type] of files) body.append(name, new File([bytes], filename, { type }), filename);
    return body;
  }

  const base = { model: 'gpt-image-2', prompt: 'Hat' };
  const png = (name = 'image'): [string, Buffer, string, string] => [name, photo, 'photo.png', 'image/png'];

  test('repeated plain `image` fields: 400 duplicate_parameter', async () => {
    const answer = await post(form(base, [png(), png()]));
    assert.equal(answer.status, 400);
    assert.equal(answer.error.code, 'duplicate_parameter');
    assert.equal(answer.error.param, 'image');
  });

  test('input_fidelity for gpt-image-2: the real 400 body', async () => {
    const answer = await post(form({ ...base, input_fidelity: 'high' }, [png()]));
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.error, {
      message: "The model 'gpt-image-2' does not support the 'input_fidelity' parameter.",
      type: 'image_generation_user_error',
      param: 'input_fidelity',
      code: 'invalid_input_fidelity_model',
    });
  });

  test('a mask of another size, without alpha, or all opaque: 400 on mask', async () => {
    for (const bad of [maskPng(32, 32, (x) => x < 3), photoPng(64, 48), maskPng(64, 48, () => false)]) {
      const answer = await post(form(base, [png(), ['mask', bad, 'mask.png', 'image/png']]));
      assert.equal(answer.status, 400);
      assert.equal(answer.error.param, 'mask', String(answer.error.message));
    }
  });

  test('moderation is unknown to edits; a filename or content type unlike the bytes is refused', async () => {
    assert.equal((await post(form({ ...base, moderation: 'low' }, [png()]))).error.code, 'unknown_parameter');
    assert.equal((await post(form(base, [['image', photo, 'photo.jpg', 'image/png']]))).error.code, 'invalid_file_name');
    assert.equal((await post(form(base, [['image', photo, 'photo.png', 'image/jpeg']]))).error.code, 'unsupported_file_mimetype');
    assert.equal((await post(form(base, []))).error.code, 'missing_required_parameter');
  });
});

suite('editAndSave and readEditFiles: files beside the original', () => {
  let server: FakeImageServer;
  let client: ClientOptions;
  let ws: string;
  let outside: string;
  const now = (): Date => new Date(2026, 11, 2, 1, 2, 3);

  suiteSetup(async () => {
    server = await startFakeImageServer();
    client = { baseUrl: server.baseUrl, apiKey: key };
  });
  suiteTeardown(async () => server.close());
  setup(async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'gpt-image-edit-'));
    ws = path.join(tmp, 'my workspace');
    outside = path.join(tmp, 'outside');
    await fs.mkdir(path.join(ws, 'images'), { recursive: true });
    await fs.mkdir(outside);
  });

  test('saves <original>-edit-<time>.<ext> next to the original, never touching it, never overwriting', async () => {
    const original = path.join(ws, 'images', 'hero shot.png');
    await fs.writeFile(original, photo);
    const taken = path.join(ws, 'images', 'hero shot-edit-20261202-010203.png');
    await fs.writeFile(taken, 'someone else');
    const sources = await readEditFiles({ images: [original] }, ws);
    const edit = await validateEdit({ prompt: 'Hat', images: sources.images });
    const target = { dir: path.dirname(original), root: ws, original: path.basename(original) };
    const first = await editAndSave(edit, client, target, { now });
    assert.deepEqual(first.files, [path.join(ws, 'images', 'hero shot-edit-20261202-010203-1.png')]);
    const second = await editAndSave({ ...edit, n: 2 }, client, target, { now });
    assert.deepEqual(second.files.map((file) => path.basename(file)), ['hero shot-edit-20261202-010203-1-1.png', 'hero shot-edit-20261202-010203-2.png']);
    assert.deepEqual(await fs.readFile(original), photo);
    assert.equal(await fs.readFile(taken, 'utf8'), 'someone else');
  });

  test("the original's folder swapped for a link outside the workspace after it was read: refused before the request, nothing written outside", async () => {
    const original = path.join(ws, 'images', 'hero.png');
    await fs.writeFile(original, photo);
    const sources = await readEditFiles({ images: [original] }, ws);
    const edit = await validateEdit({ prompt: 'Hat', images: sources.images });
    await fs.rename(path.join(ws, 'images'), path.join(ws, 'images-old'));
    await fs.symlink(outside, path.join(ws, 'images'));
    const sent = server.requests.length;
    const error = await rejectsWith(editAndSave(edit, client, { dir: path.join(ws, 'images'), root: ws, original: 'hero.png' }, { now }), 'io');
    assert.match(error.message, /leads outside the workspace folder through a symbolic link/);
    assert.equal(server.requests.length, sent, 'nothing sent (nothing billed)');
    assert.deepEqual(await fs.readdir(outside), [], 'no temp file outside the workspace');
  });

  test('editing an edit drops the earlier stamp; the extension follows the bytes', () => {
    assert.deepEqual(editFileNames('hero-edit-20261201-101010.png', 1, 'webp', now()), ['hero-edit-20261202-010203.webp']);
    assert.deepEqual(editFileNames('hero-edit-20261201-101010-2.jpg', 2, 'png', now()), ['hero-edit-20261202-010203-1.png', 'hero-edit-20261202-010203-2.png']);
  });

  test('a symlinked image or mask that leads outside the workspace is not read', async () => {
    const secret = path.join(outside, 'private.png');
    await fs.writeFile(secret, photo);
    const link = path.join(ws, 'images', 'logo.png');
    await fs.symlink(secret, link);
    const error = await rejectsWith(readEditFiles({ images: [link] }, ws), 'validation');
    assert.match(error.message, /"logo\.png" links to a file outside the workspace folder/);
    await fs.writeFile(path.join(ws, 'images', 'ok.png'), photo);
    await rejectsWith(readEditFiles({ images: [path.join(ws, 'images', 'ok.png')], mask: link }, ws), 'validation');
    // A link inside the workspace is fine.
    await fs.symlink(path.join(ws, 'images', 'ok.png'), path.join(ws, 'alias.png'));
    assert.equal((await readEditFiles({ images: [path.join(ws, 'alias.png')] }, ws)).images[0].name, 'alias.png');
  });

  test('a 60 MB image or a 5 MB mask is refused from its size, before it is read; a missing file says so', async () => {
    const huge = path.join(ws, 'huge.png');
    const handle = await fs.open(huge, 'w');
    await handle.truncate(60 * 1024 * 1024); // sparse: no 60 MB written
    await handle.close();
    assert.match((await rejectsWith(readEditFiles({ images: [huge] }, ws), 'validation')).message, /"huge\.png" is 60 MB; each image of an edit must be under 50 MB/);
    const bigMask = path.join(ws, 'mask.png');
    await fs.writeFile(bigMask, Buffer.alloc(5 * 1024 * 1024));
    await fs.writeFile(path.join(ws, 'a.png'), photo);
    assert.match((await rejectsWith(readEditFiles({ images: [path.join(ws, 'a.png')], mask: bigMask }, ws), 'validation')).message, /mask "mask\.png" is 5 MB; a mask must be under 4 MB/);
    assert.match((await rejectsWith(readEditFiles({ images: [path.join(ws, 'gone.png')] }, ws), 'validation')).message, /does not exist/);
  });

  test('nothing is saved when validation fails: the request never leaves', async () => {
    server.reset();
    const images = [{ name: 'a.png', bytes: photo }];
    await rejectsWith(validateEdit({ prompt: 'x', images, mask: { name: 'm.png', bytes: maskPng(10, 10, (x) => x < 5) } }), 'validation');
    assert.equal(server.requests.length, 0);
    const edit: EditRequest = await validateEdit({ prompt: 'x', images });
    assert.ok(edit.images[0].bytes.equals(photo));
  });
});
