import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { crc32, sniffImageFormat } from '../../src/core/api/sniff';
import { findContentCredentials } from '../../src/core/provenance/contentCredentials';
import { readImageFileInfo } from '../../src/core/provenance/imageFileInfo';
import { encodeChunk, listPngChunks } from '../../src/core/provenance/pngChunks';
import { embedProvenance, parseProvenance, provenanceKeyword, readProvenance, type ImageProvenance } from '../../src/core/provenance/promptChunk';
import { stampImages } from '../../src/core/provenance/stamp';
import { summarizeImageInfo } from '../../src/core/provenance/infoRows';
import { signedJpeg, signedPng, signedWebp } from '../fixtures/contentCredentials';
import { tinyJpeg, tinyWebp } from '../fixtures/fakeImageServer';
import { sizedPng } from '../fixtures/fixtureImages';

const info: ImageProvenance = { prompt: 'A lighthouse at dusk, watercolor', model: 'gpt-image-2', size: '1536x1024', quality: 'high', requestId: 'req_123' };
const fixture = path.resolve(__dirname, '../../../test/fixtures/images/signed-cabx.png');

function iTxt(keyword: string, text: string, compressed = false): Buffer {
  const body = compressed ? deflateSync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
  return encodeChunk('iTXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, compressed ? 1 : 0, 0, 0, 0]), body]));
}

function withChunkAfterIhdr(png: Buffer, chunk: Buffer): Buffer {
  return Buffer.concat([png.subarray(0, 33), chunk, png.subarray(33)]);
}

suite('provenance: Content Credentials detection (issue #15)', () => {
  test('PNG caBX, JPEG APP11 JUMBF and WebP C2PA are found; plain files have none', () => {
    assert.equal(findContentCredentials(signedPng()), 'PNG caBX chunk');
    assert.equal(findContentCredentials(signedJpeg()), 'JPEG APP11 JUMBF segment');
    assert.equal(findContentCredentials(signedWebp()), 'WebP C2PA chunk');
    for (const plain of [sizedPng(32, 32), tinyJpeg, tinyWebp, Buffer.from('not an image')]) assert.equal(findContentCredentials(plain), undefined);
  });

  test('the signed fixtures are still valid images', () => {
    assert.equal(sniffImageFormat(signedPng()), 'png');
    assert.equal(sniffImageFormat(signedJpeg()), 'jpeg');
    assert.equal(sniffImageFormat(signedWebp()), 'webp');
  });

  test('the committed fixture PNG carries a caBX chunk', () => {
    const bytes = fs.readFileSync(fixture);
    assert.equal(findContentCredentials(bytes), 'PNG caBX chunk');
    assert.deepEqual(bytes, signedPng(), 'test/fixtures/images/signed-cabx.png is signedPng() (regenerate it if that changes)');
  });
});

suite('provenance: embedding the prompt as iTXt (issue #15)', () => {
  test('goes right after IHDR with a correct CRC, and reads back', () => {
    const png = sizedPng(64, 32);
    const out = embedProvenance(png, info);
    assert.ok(out.embedded);
    const list = listPngChunks(out.bytes)!;
    assert.deepEqual(list.chunks.map((c) => c.type), ['IHDR', 'iTXt', 'IDAT', 'IEND']);
    assert.ok(list.chunks.every((c) => c.crcOk));
    assert.deepEqual(list.problems, []);
    assert.equal(sniffImageFormat(out.bytes), 'png', 'still a PNG the client would accept');
    const back = readProvenance(out.bytes)!;
    assert.equal(back.prompt, info.prompt);
    assert.equal(back.requestId, 'req_123');
    const data = out.bytes.subarray(list.chunks[1].offset + 8, list.chunks[1].offset + 8 + list.chunks[1].length);
    assert.equal(data.toString('latin1', 0, provenanceKeyword.length + 1), `${provenanceKeyword}\0`);
    assert.equal(out.bytes.readUInt32BE(list.chunks[1].offset + 8 + list.chunks[1].length), crc32(out.bytes.subarray(list.chunks[1].offset + 4, list.chunks[1].offset + 8 + list.chunks[1].length)));
  });

  test('never alters a signed PNG, a JPEG, a WebP or a malformed PNG', () => {
    const signed = signedPng();
    const kept = embedProvenance(signed, info);
    assert.equal(kept.embedded, false);
    assert.equal(kept.bytes, signed, 'the same bytes, untouched');
    assert.deepEqual(kept.embedded === false && kept.reason, 'content-credentials');
    assert.equal(embedProvenance(tinyJpeg, info).bytes, tinyJpeg);
    assert.equal(embedProvenance(tinyWebp, info).bytes, tinyWebp);
    const truncated = sizedPng(16, 16).subarray(0, 40);
    assert.equal(embedProvenance(truncated, info).embedded, false);
  });

  test('unicode, quotes and newlines in prompts survive; the record is JSON, not markup', () => {
    const prompt = '夕焼けの富士山 "quoted" \n[link](command:evil) <b>';
    const back = readProvenance(embedProvenance(sizedPng(16, 16), { prompt }).bytes);
    assert.equal(back?.prompt, prompt);
  });

  test('stampImages: each image of an answer gets its own index, the request id and usage; signed ones stay as they are', () => {
    const request = { prompt: 'Two foxes', model: 'gpt-image-2', n: 2, size: '1024x1024', quality: 'low' as const };
    const images = [sizedPng(16, 16, 0), signedPng()].map((bytes) => ({ bytes, format: 'png' as const }));
    const result = { images, outputFormat: 'png' as const, requestId: 'req_9', usage: { input_tokens: 3, output_tokens: 200, total_tokens: 203 } };
    const [first, second] = stampImages(request, result, new Date('2026-12-02T01:00:00Z'), { tool: 'gpt-image-studio/0.1.0', parents: ['assets/a.png'] });
    const record = readProvenance(first)!;
    assert.deepEqual(record, {
      prompt: 'Two foxes', model: 'gpt-image-2', size: '1024x1024', quality: 'low', outputFormat: 'png', n: 2, index: 1,
      created: '2026-12-02T01:00:00.000Z', requestId: 'req_9', usage: { inputTokens: 3, outputTokens: 200, totalTokens: 203 },
      parents: ['assets/a.png'], tool: 'gpt-image-studio/0.1.0',
    });
    assert.equal(second, images[1].bytes);
  });
});

suite('provenance: reading hostile files (issue #15)', () => {
  let dir: string;
  suiteSetup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-prov-'));
  });
  suiteTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Buffer): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };

  test('a file the extension stamped: prompt, size and no credentials', async () => {
    const file = write('ours.png', embedProvenance(sizedPng(96, 64), info).bytes as Buffer);
    const read = await readImageFileInfo(file);
    assert.equal(read.format, 'png');
    assert.deepEqual([read.width, read.height], [96, 64]);
    assert.equal(read.provenance?.prompt, info.prompt);
    assert.equal(read.contentCredentials, undefined);
    assert.deepEqual(read.problems, []);
  });

  test('the caBX fixture: credentials present', async () => {
    const read = await readImageFileInfo(fixture);
    assert.equal(read.contentCredentials, 'PNG caBX chunk');
    assert.equal(read.provenance, undefined);
  });

  test('an iTXt chunk declaring 100 MB in a small file: reported, nothing allocated, no record', async () => {
    const bogus = Buffer.alloc(12);
    bogus.writeUInt32BE(100 * 1024 * 1024, 0);
    bogus.write('iTXt', 4, 'latin1');
    const file = write('huge-length.png', withChunkAfterIhdr(sizedPng(16, 16), bogus));
    const read = await readImageFileInfo(file);
    assert.equal(read.provenance, undefined);
    assert.match(read.problems.join('; '), /declares 104857600 bytes but the file ends before that/);
  });

  test('a bad CRC on our chunk: not trusted, reported', async () => {
    const chunk = iTxt(provenanceKeyword, JSON.stringify({ prompt: 'forged' }));
    chunk[chunk.length - 1] ^= 0xff;
    const read = await readImageFileInfo(write('bad-crc.png', withChunkAfterIhdr(sizedPng(16, 16), chunk)));
    assert.equal(read.provenance, undefined);
    assert.match(read.problems.join('; '), /iTXt chunk at byte 33 has a wrong CRC/);
  });

  test('a chunk after IEND is ignored, not read as metadata', async () => {
    const tail = iTxt(provenanceKeyword, JSON.stringify({ prompt: 'smuggled after IEND' }));
    const read = await readImageFileInfo(write('after-iend.png', Buffer.concat([sizedPng(16, 16), tail])));
    assert.equal(read.provenance, undefined);
    assert.match(read.problems.join('; '), /bytes after IEND \(ignored\)/);
  });

  test('a compressed iTXt that inflates past the limit (a zip bomb) yields nothing', async () => {
    const bomb = iTxt(provenanceKeyword, `{"prompt":"${'a'.repeat(20 * 1024 * 1024)}"}`, true);
    assert.ok(bomb.length < 100_000);
    const read = await readImageFileInfo(write('bomb.png', withChunkAfterIhdr(sizedPng(16, 16), bomb)));
    assert.equal(read.provenance, undefined);
  });

  test('a compressed iTXt of ours within limits is read', async () => {
    const read = await readImageFileInfo(write('zipped.png', withChunkAfterIhdr(sizedPng(16, 16), iTxt(provenanceKeyword, JSON.stringify(info), true))));
    assert.equal(read.provenance?.prompt, info.prompt);
  });

  test('fields of the wrong type or size are dropped; no prompt means no record', () => {
    assert.deepEqual(parseProvenance(JSON.stringify({ prompt: 'ok', model: 42, parents: ['a.png', 7, 'x'.repeat(5000)], n: -1, usage: { inputTokens: 'many' } })), {
      prompt: 'ok', parents: ['a.png'],
    });
    // reviewer #15: a forged file's parents are shown as lineage, so only workspace-relative paths count.
    const forged = ['/home/me/.ssh/id_rsa', '../../outside.png', 'C:/x.png', 'a\u202eb.png', 'assets/base.png'];
    assert.deepEqual(parseProvenance(JSON.stringify({ prompt: 'ok', parents: forged }))?.parents, ['assets/base.png']);
    assert.equal(parseProvenance('{"model":"gpt-image-2"}'), undefined);
    assert.equal(parseProvenance('not json'), undefined);
    assert.equal(parseProvenance('[1,2]'), undefined);
  });

  test('JPEG and WebP: credentials found by reading only the head and the chunk headers', async () => {
    assert.equal((await readImageFileInfo(write('signed.jpg', signedJpeg()))).contentCredentials, 'JPEG APP11 JUMBF segment');
    assert.equal((await readImageFileInfo(write('signed.webp', signedWebp()))).contentCredentials, 'WebP C2PA chunk');
    assert.equal((await readImageFileInfo(write('plain.webp', tinyWebp))).contentCredentials, undefined);
  });

  test('a large sparse file is walked without being read whole', async () => {
    const file = path.join(dir, 'sparse.png');
    const png = embedProvenance(sizedPng(16, 16), info).bytes as Buffer;
    const handle = fs.openSync(file, 'w');
    fs.writeSync(handle, png.subarray(0, png.length - 12));
    // A 1 GB IDAT chunk (sparse on disk), then IEND.
    const size = 1024 * 1024 * 1024;
    const header = Buffer.alloc(8);
    header.writeUInt32BE(size, 0);
    header.write('IDAT', 4, 'latin1');
    fs.writeSync(handle, header);
    fs.ftruncateSync(handle, png.length - 12 + 8 + size + 4);
    fs.writeSync(handle, png.subarray(png.length - 12), 0, 12, png.length - 12 + 8 + size + 4);
    fs.closeSync(handle);
    const read = await readImageFileInfo(file);
    assert.equal(read.provenance?.prompt, info.prompt);
    assert.deepEqual(read.problems, []);
  });
});

suite('provenance: what Show Image Info lists (issue #15)', () => {
  const value = (rows: readonly { label: string; value: string }[], label: string): string | undefined => rows.find((row) => row.label === label)?.value;

  test('file record first, history cost added; C2PA "present", never "verified"', () => {
    const summary = summarizeImageInfo(
      { format: 'png', byteLength: 2048, width: 1536, height: 1024, contentCredentials: 'PNG caBX chunk', provenance: { ...info, n: 2, index: 1, created: '2026-12-02T01:00:00.000Z' }, problems: [] },
      { prompt: 'older prompt', cost: '$0.053', source: 'workspace history', parents: ['assets/base.png'] },
    );
    assert.equal(summary.prompt, info.prompt);
    assert.equal(value(summary.rows, 'Options'), '1536x1024 · high quality · image 1 of 2');
    assert.equal(value(summary.rows, 'Created'), '2026-12-02 01:00:00 UTC');
    assert.equal(value(summary.rows, 'Cost'), '$0.053');
    assert.equal(value(summary.rows, 'Parent images'), 'assets/base.png');
    assert.match(value(summary.rows, 'Content Credentials (C2PA)') ?? '', /^present/);
    assert.ok(!summary.rows.some((row) => /verified/i.test(row.value) && !/not verified/i.test(row.value)));
    assert.equal(value(summary.rows, 'Recorded in'), 'the file itself and workspace history');
  });

  test('nothing recorded: says so, credentials absent, problems listed', () => {
    const summary = summarizeImageInfo({ format: 'png', byteLength: 10, problems: ['3 bytes after IEND (ignored)'] }, undefined);
    assert.equal(summary.prompt, undefined);
    assert.match(value(summary.rows, 'Prompt') ?? '', /not recorded/);
    assert.equal(value(summary.rows, 'Content Credentials (C2PA)'), 'absent');
    assert.equal(value(summary.rows, 'File problems'), '3 bytes after IEND (ignored)');
  });
});
