import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readPng, countAlpha } from '../../src/core/png';
import type { HistoryEntry } from '../../src/generation/history';
import { isFromWebview, type ToWebview } from '../../src/shared/protocol';
import { StudioEdits, type EditHost } from '../../src/studio/studioEdits';
import { StudioRuns } from '../../src/studio/studioRuns';
import { photoPng } from '../fixtures/editImages';
import { tempPattern } from '../../src/core/tempFile';
import { emptyDir, listAll, listImages, testApi, useFixtureServer, waitFor, workspaceRoot } from './helpers';

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The Studio's edit messages on the host (issue #13): the panel's StudioEdits with the extension's own
 * GenerationService, fed messages as the webview posts them (checked by isFromWebview first), against
 * the fixture server that parses the multipart body strictly.
 */
suite('Studio edit mode (issue #13): an edit message → /images/edits with the image and the painted mask', () => {
  const server = useFixtureServer({ key: 'sk-studio-edit', settings: { quality: 'low' } });
  let assets: string;
  let posted: ToWebview[];
  let edits: StudioEdits;
  let entry: HistoryEntry;
  /** The gallery image's pixel size, as its PNG header says (the fixture answers at the requested size). */
  let width: number;
  let height: number;

  suiteSetup(() => {
    assets = path.join(workspaceRoot(), 'studio-edits');
  });

  suiteTeardown(() => emptyDir(assets));

  setup(async () => {
    emptyDir(assets);
    fs.mkdirSync(assets, { recursive: true });
    const original = path.join(assets, 'poster.png');
    fs.writeFileSync(original, photoPng(96, 64));
    server().reset();
    // A gallery card to edit: an earlier edit of the file, made with the palette command.
    const api = await testApi();
    const outcome = await vscode.commands.executeCommand<{ entry: HistoryEntry } | undefined>('gptImage.editImage', {
      images: [vscode.Uri.file(original)],
      prompt: 'Warmer light',
      then: 'none',
    });
    assert.ok(outcome, 'the first edit ran');
    entry = outcome.entry;
    const header = readPng(fs.readFileSync(path.join(workspaceRoot(), entry.files[0]))).header;
    width = header.width;
    height = header.height;
    server().reset();
    posted = [];
    const host: EditHost = {
      generation: api.generation,
      runs: new StudioRuns(),
      post: (message) => posted.push(message),
      postError: (error, runId) => posted.push({ type: 'error', ...(runId && { runId }), message: error instanceof Error ? error.message : String(error), actions: [] }),
      galleryEntry: (recorded) => ({ id: recorded.id, prompt: recorded.prompt, options: recorded.options, model: recorded.model, createdAt: recorded.createdAt, images: [] }),
      webviewSrc: () => undefined,
      updateRoots: () => undefined,
    };
    edits = new StudioEdits(host);
  });

  const send = async (message: unknown): Promise<void> => {
    assert.equal(isFromWebview(message), true, `the page's message passes the protocol check: ${JSON.stringify(message).slice(0, 200)}`);
    await edits.handle(message as never);
  };

  test('describeImage answers with the natural size read from the file', async () => {
    await send({ type: 'describeImage', purpose: 'source', id: entry.id, index: 0 });
    const answer = posted.find((message) => message.type === 'editImage');
    assert.ok(answer && answer.type === 'editImage');
    assert.equal(answer.image.width, width);
    assert.equal(answer.image.height, height);
    assert.match(answer.image.label, /^studio-edits\/poster-edit-\d{8}-\d{6}\.png$/);
  });

  test('a masked edit sends image + mask at the exact size, saves beside the original and records parents and mask', async () => {
    const options = { size: '1024x1024', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' };
    // A stroke across the top-left in image pixels, as the page maps them from the displayed canvas.
    const mask = { width, height, ops: [{ kind: 'stroke', erase: false, radius: 10, points: [10, 10, 40, 10, 40, 30] }] };
    await send({ type: 'edit', runId: 'studio-edit-1', prompt: 'A red kite in the sky', options, images: [{ kind: 'gallery', id: entry.id, index: 0 }], mask });
    const result = await waitFor('the result message', () => posted.find((message) => message.type === 'result' || message.type === 'error'));
    assert.equal(result.type, 'result', JSON.stringify(result));
    assert.ok(posted.some((message) => message.type === 'started' && message.runId === 'studio-edit-1'));

    assert.equal(server().requests.length, 1);
    const request = server().requests[0];
    assert.equal(request.url, '/v1/images/edits');
    const parts = request.parts ?? [];
    // For the closing note of issue #13: the request parts of one masked edit from the Studio as recorded.
    fs.writeFileSync(path.join(os.tmpdir(), 'studio-masked-edit-parts.json'), JSON.stringify(parts, null, 2));
    assert.deepEqual(parts.map((part) => part.name), ['model', 'prompt', 'image', 'mask', 'n', 'size', 'quality', 'background', 'output_format']);
    const source = fs.readFileSync(path.join(workspaceRoot(), (entry.files[0])));
    const imagePart = parts.find((part) => part.name === 'image');
    assert.equal(imagePart?.sha256, sha(source), 'the gallery image, byte for byte');

    const api = await testApi();
    const recorded = api.history.list()[0];
    assert.deepEqual(recorded.parents, [entry.files[0]]);
    assert.ok(recorded.mask, 'the history names the mask file');
    assert.match(recorded.mask, /^studio-edits\/poster-edit-\d{8}-\d{6}-mask\.png$/);
    const maskBytes = fs.readFileSync(path.join(workspaceRoot(), recorded.mask));
    const maskPart = parts.find((part) => part.name === 'mask');
    assert.equal(maskPart?.sha256, sha(maskBytes), 'the saved mask is the one sent');
    assert.equal(maskPart?.contentType, 'image/png');
    const png = readPng(maskBytes);
    assert.deepEqual([png.header.width, png.header.height], [width, height], 'the mask has the source image\'s exact size');
    const alpha = await countAlpha(png);
    assert.ok(alpha.transparent > 0 && alpha.transparent < width * height, `painted and kept pixels: ${JSON.stringify(alpha)}`);

    for (const file of recorded.files) assert.equal(path.dirname(path.join(workspaceRoot(), file)), assets, 'beside the original');
    assert.equal(listImages(assets).length, 4, listImages(assets).join(', '));
  });

  test('a mask painted for another size is refused before anything is sent, and no mask file stays', async () => {
    const options = { size: 'auto', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' };
    const mask = { width: width + 4, height, ops: [{ kind: 'stroke', erase: false, radius: 10, points: [10, 10] }] };
    await send({ type: 'edit', runId: 'studio-edit-2', prompt: 'p', options, images: [{ kind: 'gallery', id: entry.id, index: 0 }], mask });
    const error = posted.find((message) => message.type === 'error');
    assert.ok(error && error.type === 'error');
    assert.equal(error.runId, 'studio-edit-2');
    assert.match(error.message, new RegExp(`painted for ${width + 4}x${height} .* is ${width}x${height}`));
    assert.equal(server().requests.length, 0);
    assert.equal(listImages(assets).length, 2);
  });

  test('L4: while the edit runs the painted mask is only a hidden temp file (a killed host leaves no orphan mask), placed on success, removed on failure', async () => {
    const options = { size: 'auto', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' };
    const mask = { width, height, ops: [{ kind: 'stroke', erase: false, radius: 10, points: [10, 10, 40, 10] }] };
    const images = [{ kind: 'gallery', id: entry.id, index: 0 }];
    const running = send({ type: 'edit', runId: 'studio-edit-4', prompt: '[slow:3000] A kite', options, images, mask });
    await waitFor('the edit request reaches the server', () => (server().requests.length > 0 ? true : undefined), 30_000);
    // What a host killed right now would leave behind: no visible mask, one temp file the next save sweeps.
    assert.deepEqual(listImages(assets).filter((name) => name.includes('mask')), [], `mid-edit: ${listAll(assets).join(', ')}`);
    assert.equal(listAll(assets).filter((name) => tempPattern.test(name)).length, 1, `mid-edit: ${listAll(assets).join(', ')}`);
    await running;
    assert.ok(posted.some((message) => message.type === 'result'), JSON.stringify(posted.filter((message) => message.type === 'error')));
    assert.equal(listImages(assets).filter((name) => /-mask\.png$/.test(name)).length, 1, listAll(assets).join(', '));
    assert.deepEqual(listAll(assets).filter((name) => name.startsWith('.')), [], 'no temp file after success');

    server().reset();
    posted = [];
    const before = listAll(assets).sort();
    await send({ type: 'edit', runId: 'studio-edit-5', prompt: '[moderation] A kite', options, images, mask });
    assert.ok(posted.some((message) => message.type === 'error'));
    assert.equal(server().requests.length, 1, 'the failing edit was sent');
    assert.deepEqual(listAll(assets).sort(), before, 'a failed edit leaves neither a mask nor a temp file');
  });

  test('Reuse Prompt on an edit: reuseEdit answers with the parents that still exist, in order, as tokens an edit can use', async () => {
    const original = path.join(assets, 'poster.png');
    const reference = path.join(assets, 'texture.png');
    fs.writeFileSync(reference, photoPng(32, 32));
    const outcome = await vscode.commands.executeCommand<{ entry: HistoryEntry } | undefined>('gptImage.editImage', {
      images: [vscode.Uri.file(original), vscode.Uri.file(reference)],
      prompt: 'Use the texture',
      then: 'none',
    });
    assert.ok(outcome, 'the edit with a reference ran');
    posted = [];
    await send({ type: 'reuseEdit', id: outcome.entry.id });
    const answer = posted.find((message) => message.type === 'editReused');
    assert.ok(answer && answer.type === 'editReused', JSON.stringify(posted));
    assert.equal(answer.id, outcome.entry.id);
    assert.deepEqual(answer.images.map((image) => [image.label, image.width, image.height, image.ref.kind]), [
      ['studio-edits/poster.png', 96, 64, 'picked'],
      ['studio-edits/texture.png', 32, 32, 'picked'],
    ]);
    assert.equal(answer.missing, 0);

    // The tokens name those files for an edit sent from the reopened edit mode.
    server().reset();
    posted = [];
    const options = { size: 'auto', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' };
    await send({ type: 'edit', runId: 'studio-edit-6', prompt: 'Use the texture again', options, images: answer.images.map((image) => image.ref) });
    assert.ok(posted.some((message) => message.type === 'result'), JSON.stringify(posted));
    const parts = server().requests[0]?.parts ?? [];
    assert.deepEqual(parts.filter((part) => part.name === 'image[]').map((part) => part.sha256), [sha(fs.readFileSync(original)), sha(fs.readFileSync(reference))]);

    // A parent that is gone is left out and counted; an entry without parents answers with none.
    fs.rmSync(reference);
    posted = [];
    await send({ type: 'reuseEdit', id: outcome.entry.id });
    const later = posted.find((message) => message.type === 'editReused');
    assert.ok(later && later.type === 'editReused');
    assert.deepEqual(later.images.map((image) => image.label), ['studio-edits/poster.png']);
    assert.equal(later.missing, 1);
    posted = [];
    await send({ type: 'reuseEdit', id: 'no-such-entry' });
    assert.deepEqual(posted, [{ type: 'editReused', id: 'no-such-entry', images: [], missing: 0 }]);
  });

  test('an unknown gallery id or picked token is refused with a clear message', async () => {
    const options = { size: 'auto', quality: 'low', n: 1, outputFormat: 'png', background: 'auto' };
    await send({ type: 'edit', runId: 'studio-edit-3', prompt: 'p', options, images: [{ kind: 'gallery', id: entry.id, index: 0 }, { kind: 'picked', token: 'pick-forged' }] });
    const error = posted.find((message) => message.type === 'error');
    assert.ok(error && error.type === 'error');
    assert.match(error.message, /no longer exists/);
    assert.equal(server().requests.length, 0);
  });
});
