import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { Base64FileDecoder, decodedBufferBytes, NotPlainBase64 } from './base64File';
import type { OutputFormat } from '../../shared/options';
import { discard, type ResponseBody } from './responseBody';
import { ImageApiError } from '../errors';
import { isObject, mayBeCharged } from './responseErrors';
import { formatBytes } from './units';

/** Where a response's images are decoded while it arrives: a folder on the file system they are saved to. */
export interface SpoolTarget {
  /** Real path (symlinks resolved) of an existing folder; saving from there is a rename. */
  readonly dir: string;
  /** Runs before each temp file is created; throws when `dir` no longer leads where it did. */
  readonly recheck?: () => Promise<void>;
}

/** One `b64_json` image decoded into a complete, fsynced temp file of ours, and what its bytes are. */
export interface SpooledFile {
  readonly tempFile: string;
  readonly byteLength: number;
  /** Sniffed as it was written: the format, or what the bytes are instead ("an HTML page"). */
  readonly sniffed: { readonly format?: OutputFormat; readonly description: string };
}

/**
 * A 2xx body read by {@link readImagesStreaming}: its JSON without the base64 and each image as a temp
 * file (by its `data` item), or — for the rare unusual shapes — the whole body, for the generic path.
 */
export type StreamedBody =
  | { readonly kind: 'spooled'; readonly json: Record<string, unknown>; readonly files: ReadonlyMap<object, SpooledFile>; readonly size: number }
  | { readonly kind: 'buffered'; readonly bytes: Buffer; readonly size: number };

const b64Key = Buffer.from('b64_json');

/**
 * Most bytes of JSON kept besides the streamed images: 4 MB. An image answer's other fields (created,
 * usage, a revised prompt of at most a few KB) are tiny; the kept text is parsed at the end, which
 * takes about three times its size (pieces, their concatenation, the string). Without a cap a server
 * padding its answer with whitespace or a 100 MB revised_prompt made the streaming path hold ~3× that
 * (issue #11 review); beyond it the read stops with a clear error.
 */
export const maxJsonTextBytes = 4 * 1024 * 1024;

/**
 * Reads a 2xx body and decodes every `data[i].b64_json` string straight into its own temp file in
 * `spool.dir` as the bytes arrive (issue #11, part 3): the process holds one 64 KB chunk and 1 MB of
 * decoded bytes at a time, whatever the size of the answer, and keeps only the rest of the JSON (created,
 * usage, size…) in memory. Saving later renames the files into place (save.ts).
 *
 * Only the common shape is streamed: `"b64_json"` as a plain key, its string made of standard base64
 * (padding optional) with no escapes, whitespace or base64url characters, at most `maxImages` of them, and
 * each one the `b64_json` of an item of `data` once the JSON is parsed (with a per-response nonce in the
 * placeholders, so a server cannot forge one). Anything else — `\/` or other escapes, spaces, a 1 MB
 * revised prompt is fine but `b64_json` twice in an item, an eleventh image, broken or truncated JSON —
 * turns the read into a plain one: what was decoded is encoded back, the temp files are removed, and the
 * whole body is returned (`buffered`) for the existing generic path and its messages. The limit is the
 * byte budget: passing it fails with `onOverflow()`. Whenever this throws (overflow, a broken connection,
 * cancel, a full disk as an `io` error), every temp file it created is removed first.
 */
export async function readImagesStreaming(
  body: ResponseBody,
  limit: number,
  onOverflow: () => Error,
  spool: SpoolTarget,
  maxImages: number,
): Promise<StreamedBody> {
  const scanner = new ImageStreamScanner(spool, maxImages);
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        discard(body);
        throw onOverflow();
      }
      await scanner.push(chunk);
    }
    return await scanner.finish(size);
  } catch (error) {
    discard(body);
    await scanner.removeFiles();
    throw error;
  }
}

/** Removes the temp files of a spooled answer (a later step failed); never throws. */
export async function removeSpooled(files: Iterable<SpooledFile | Buffer> | undefined): Promise<void> {
  if (!files) return;
  const paths = [...files].flatMap((file) => ('tempFile' in file ? [file.tempFile] : []));
  await Promise.all(paths.map((file) => fs.rm(file, { force: true }).catch(() => undefined)));
}

/** An unusual shape: the read gives way to the generic path. Thrown inside the scanner only. */
class Unusual extends NotPlainBase64 {}

class ImageStreamScanner {
  private readonly nonce = randomBytes(8).toString('hex');
  /** The JSON outside the streamed strings; a number stands for the string of that file. */
  private readonly pieces: (Buffer | number)[] = [];
  private readonly files: Base64FileDecoder[] = [];
  /** Set once the shape was unusual: the whole body from here on. */
  private buffered: Buffer[] | undefined;
  private state: 'value' | 'string' | 'b64' = 'value';
  private escaped = false;
  /** The current string could still be the key `b64_json`: its length so far and whether it matches. */
  private keyLength = 0;
  private keyMatches = true;
  /** 1 after the key `"b64_json"`, 2 after its `:` too. */
  private afterKey = 0;
  /** Bytes in `pieces` (see maxJsonTextBytes). */
  private kept = 0;
  /** The decoders' scratch buffer, one at a time. */
  private readonly out = Buffer.allocUnsafe(decodedBufferBytes);

  constructor(
    private readonly spool: SpoolTarget,
    private readonly maxImages: number,
  ) {}

  async push(chunk: Buffer): Promise<void> {
    if (this.buffered) {
      this.buffered.push(chunk);
      return;
    }
    let pieceStart = 0;
    let i = 0;
    try {
      while (i < chunk.length) {
        if (this.state === 'b64') {
          const quote = chunk.indexOf(0x22, i);
          const end = quote === -1 ? chunk.length : quote;
          await this.current().feed(chunk, i, end, quote !== -1);
          if (quote === -1) return;
          await this.current().finish();
          this.state = 'value';
          // The closing quote belongs to the next piece of the JSON.
          pieceStart = quote;
          i = quote + 1;
          continue;
        }
        if (this.state === 'string') {
          i = this.scanString(chunk, i);
          continue;
        }
        const c = chunk[i];
        if (c === 0x22 /* " */) {
          if (this.afterKey === 2) {
            // Never more temp files than images asked for; an extra one is for the generic path to refuse.
            if (this.files.length >= this.maxImages) throw new Unusual();
            this.files.push(await Base64FileDecoder.create(this.spool.dir, this.spool.recheck, this.out));
            this.keep(chunk.subarray(pieceStart, i + 1));
            this.pieces.push(this.files.length - 1);
            this.state = 'b64';
            i = pieceStart = i + 1;
            this.afterKey = 0;
            continue;
          }
          this.state = 'string';
          this.keyLength = 0;
          this.keyMatches = true;
          this.afterKey = 0;
        } else if (c === 0x3a /* : */ && this.afterKey === 1) {
          this.afterKey = 2;
        } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
          this.afterKey = 0;
        }
        i++;
      }
      if (pieceStart < chunk.length) this.keep(chunk.subarray(pieceStart));
    } catch (error) {
      if (!(error instanceof NotPlainBase64)) throw error;
      // In base64 the characters from resumeAt on were not taken; elsewhere the piece from pieceStart is not kept yet.
      await this.toBuffered(chunk.subarray(this.state === 'b64' ? this.current().resumeAt : pieceStart));
    }
  }

  /** Keeps a copy of a piece of the JSON outside the images; past maxJsonTextBytes the read stops. */
  private keep(piece: Buffer): void {
    this.kept += piece.length;
    if (this.kept > maxJsonTextBytes) {
      throw new ImageApiError(
        'badResponse',
        `The server's answer has more than ${formatBytes(maxJsonTextBytes)} of JSON besides the images (padding, or a field such as revised_prompt that large), so reading stopped; ${mayBeCharged}`,
        { mayBeCharged: true },
      );
    }
    this.pieces.push(Buffer.from(piece));
  }

  private current(): Base64FileDecoder {
    return this.files[this.files.length - 1]!;
  }

  /** Inside an ordinary string from `i`: returns where scanning goes on. */
  private scanString(chunk: Buffer, i: number): number {
    if (this.escaped) {
      this.escaped = false;
      this.keyMatches = false;
      return i + 1;
    }
    const quote = chunk.indexOf(0x22, i);
    const stop0 = quote === -1 ? chunk.length : quote;
    const backslash = chunk.subarray(i, stop0).indexOf(0x5c);
    const stop = backslash === -1 ? stop0 : i + backslash;
    const length = stop - i;
    if (this.keyMatches) {
      this.keyMatches =
        this.keyLength + length <= b64Key.length &&
        chunk.subarray(i, stop).equals(b64Key.subarray(this.keyLength, this.keyLength + length));
    }
    this.keyLength += length;
    if (stop === chunk.length) return stop;
    if (backslash !== -1) {
      this.escaped = true;
      return stop + 1;
    }
    this.state = 'value';
    this.afterKey = this.keyMatches && this.keyLength === b64Key.length ? 1 : 0;
    return stop + 1;
  }

  /**
   * Turns the read into a plain one: the body so far is put back together (each decoded image encoded
   * again — whole groups give the same characters, a last group the same bytes), the temp files go, and
   * `rest` and every later chunk are kept as they come.
   */
  private async toBuffered(rest: Buffer): Promise<void> {
    const prefix: Buffer[] = [];
    for (const piece of this.pieces) prefix.push(typeof piece === 'number' ? await this.files[piece]!.encoded() : piece);
    await this.removeFiles();
    this.buffered = [...prefix, Buffer.from(rest)];
  }

  async finish(size: number): Promise<StreamedBody> {
    if (!this.buffered && this.state === 'value') {
      const spooled = this.parse(size);
      if (spooled) {
        await this.durable();
        return spooled;
      }
    }
    if (!this.buffered) await this.toBuffered(Buffer.alloc(0));
    return { kind: 'buffered', bytes: Buffer.concat(this.buffered!), size };
  }

  /** The JSON with a placeholder per file; undefined unless each file is the `b64_json` of one `data` item. */
  private parse(size: number): StreamedBody | undefined {
    if (this.files.length === 0) return undefined;
    const placeholder = new RegExp(`^\\u0000b64#${this.nonce}#(\\d+)$`);
    const text = Buffer.concat(this.pieces.map((piece) => (typeof piece === 'number' ? Buffer.from(`\\u0000b64#${this.nonce}#${piece}`) : piece)));
    let json: unknown;
    try {
      json = JSON.parse(text.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isObject(json) || !Array.isArray(json.data) || json.data.length > this.maxImages) return undefined;
    const files = new Map<object, SpooledFile>();
    for (const item of json.data) {
      if (!isObject(item) || typeof item.b64_json !== 'string') continue;
      const index = placeholder.exec(item.b64_json)?.[1];
      if (index === undefined) continue; // a b64_json we did not stream (an escaped key): decoded in memory later
      const file = this.files[Number(index)];
      if (!file || files.has(item) || [...files.values()].some((f) => f.tempFile === file.path)) return undefined;
      files.set(item, { tempFile: file.path, byteLength: file.size, sniffed: file.sniffed });
    }
    // A file no item holds (a repeated key, a b64_json outside data): the generic path decides.
    if (files.size !== this.files.length) return undefined;
    for (const item of files.keys()) delete (item as Record<string, unknown>).b64_json;
    return { kind: 'spooled', json, files, size };
  }

  /** Every file's fsync, started as each string ended, has finished. */
  async durable(): Promise<void> {
    for (const file of this.files) await file.durable();
  }

  /** Closes and removes every temp file created so far; never throws. */
  async removeFiles(): Promise<void> {
    await Promise.all(this.files.splice(0).map((file) => file.remove()));
  }
}
