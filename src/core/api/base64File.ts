import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { OutputFormat } from '../../shared/options';
import { ioError } from '../save';
import { createTempFile } from '../tempFile';
import { sniffDecoded } from './sniffFile';

/** Base64 characters decoded per step: a multiple of 4, small enough to stay in V8's young generation. */
const b64Step = 64 * 1024;
/** Decoded bytes gathered before one write to the temp file; the first write is also the sniffer's head. */
export const decodedBufferBytes = 1024 * 1024;
/** The last bytes kept for the sniffer (PNG's IEND, JPEG's EOI and any zero padding after them). */
const tailBytes = 64 * 1024;
/**
 * The first bytes kept for the sniffer: PNG's IHDR, JPEG's header segments up to the first scan, WebP's
 * RIFF header. 64 KB, not the whole first 1 MB write: a file whose headers run past it is read back
 * (sniffImageParts says 'whole'). A 1 MB copy per image was most of the streaming path's garbage: ten
 * 1 MB blocks in malloc's heap until the next GC (issue #11, bench).
 */
const headBytes = 64 * 1024;

/**
 * The characters are not plain standard base64 (an escape, whitespace, base64url, a misplaced `=`…):
 * the streaming decode gives way to the generic path, which decides with its messages.
 */
export class NotPlainBase64 extends Error {}

/**
 * Decodes one base64 string, arriving in pieces, into a new temp file of ours (`.gpt-image-….tmp`, see
 * tempFile.ts): 4-character groups, 64 KB of characters per step, the bytes gathered in a 1 MB buffer
 * between writes, so memory stays the same whatever the image's size. The last group is held back until
 * the string ends, as only it may be padded. `resumeAt` follows every character taken, so when one is
 * not plain base64 ({@link NotPlainBase64}) the file plus the held-back characters are exactly the
 * characters before it, and {@link encoded} gives them back for the generic path. I/O failures (a full
 * disk) are `io` ImageApiErrors naming the folder. The first write and the last 64 KB pass by the
 * sniffer when the string ends ({@link sniffed}), so the file is never read back; its fsync runs while
 * the next image arrives ({@link durable}).
 */
export class Base64FileDecoder {
  /** Decoded bytes so far, written or still in the buffer. */
  size = 0;
  /** In the piece being fed: where the characters not yet taken begin. */
  resumeAt = 0;
  /** What the bytes are, known once {@link finish} returned: a format, or a description ("an HTML page"). */
  sniffed: { readonly format?: OutputFormat; readonly description: string } = { description: 'nothing' };
  private written = 0;
  private head: Buffer | undefined;
  /** The last bytes written so far, in one buffer allocated once (no copy per write). */
  private tail = Buffer.allocUnsafe(tailBytes);
  private tailLength = 0;
  private syncing: Promise<void> | undefined;
  private readonly carry = Buffer.alloc(4);
  private carryLength = 0;
  private outLength = 0;

  private constructor(
    readonly path: string,
    private handle: fs.FileHandle | undefined,
    private readonly out: Buffer,
  ) {}

  /** Creates the temp file in `dir` (`recheck` runs right before); `out` is a scratch buffer of decodedBufferBytes. */
  static async create(dir: string, recheck: (() => Promise<void>) | undefined, out: Buffer): Promise<Base64FileDecoder> {
    try {
      const { name, handle } = await createTempFile(dir, recheck);
      return new Base64FileDecoder(path.join(dir, name), handle, out);
    } catch (error) {
      throw ioError(dir, error);
    }
  }

  /** Characters `chunk[from, to)` of the string; `last` when the string ends at `to`. */
  async feed(chunk: Buffer, from: number, to: number, last: boolean): Promise<void> {
    this.resumeAt = from;
    const range = chunk.subarray(from, to);
    if (range.includes(0x5c /* \ */) || range.includes(0x2d /* - */) || range.includes(0x5f /* _ */)) throw new NotPlainBase64();
    let at = 0;
    if (this.carryLength > 0 && this.carryLength + range.length > 4) {
      // The held-back group is not the last one: complete and decode it.
      at = 4 - this.carryLength;
      range.copy(this.carry, this.carryLength, 0, at);
      this.carryLength = 4;
      this.resumeAt = from + at;
      await this.decode(this.carry, 0, 4, -1);
      this.carryLength = 0;
    }
    const remaining = range.length - at;
    if (this.carryLength === 0 && remaining > 0) {
      const whole = remaining - (remaining % 4 || 4);
      await this.decode(range, at, at + whole, from);
      at += whole;
    }
    range.copy(this.carry, this.carryLength, at);
    this.carryLength += range.length - at;
    this.resumeAt = to;
    if (last) await this.decodeLast();
  }

  /** The string ended: writes the rest, sniffs the bytes and starts the file's fsync (see {@link durable}). */
  async finish(): Promise<void> {
    await this.flush();
    this.sniffed = await sniffDecoded(this.path, this.head ?? Buffer.alloc(0), this.tail.subarray(0, this.tailLength), this.size).catch((error: unknown) => {
      throw ioError(path.dirname(this.path), error);
    });
    this.head = undefined;
    this.tail = Buffer.alloc(0);
    this.tailLength = 0;
    const handle = this.handle;
    this.handle = undefined;
    this.syncing = handle
      ?.sync()
      .catch((error: unknown) => {
        throw ioError(path.dirname(this.path), error);
      })
      .finally(() => handle.close().catch(() => undefined));
    this.syncing?.catch(() => undefined); // awaited in durable(); never an unhandled rejection meanwhile
  }

  /** Resolves once the finished file is fsynced (before anything can give it a name). */
  async durable(): Promise<void> {
    await this.syncing;
  }

  /** The characters taken so far, encoded back (whole groups give the same characters, a last group the same bytes). */
  async encoded(): Promise<Buffer> {
    await this.flush();
    const decoded = await fs.readFile(this.path).catch((error: unknown) => {
      throw ioError(path.dirname(this.path), error);
    });
    return Buffer.concat([Buffer.from(decoded.subarray(0, this.written).toString('base64'), 'latin1'), this.carry.subarray(0, this.carryLength)]);
  }

  /** Closes and deletes the file; never throws. */
  async remove(): Promise<void> {
    await this.syncing?.catch(() => undefined);
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await fs.rm(this.path, { force: true }).catch(() => undefined);
  }

  /**
   * Decodes whole groups `source[from, to)` (no padding) into the buffer, writing it out as it fills.
   * With `base` ≥ 0 (source is the piece starting there), `resumeAt` moves past each decoded step.
   */
  private async decode(source: Buffer, from: number, to: number, base: number): Promise<void> {
    for (let step = from; step < to; step += b64Step) {
      const stop = Math.min(step + b64Step, to);
      if (this.out.length - this.outLength < ((stop - step) / 4) * 3) await this.flush();
      const n = this.out.write(source.toString('latin1', step, stop), this.outLength, 'base64');
      // Node skips characters outside the alphabet and stops at `=`: either leaves the step short.
      if (n !== ((stop - step) / 4) * 3) throw new NotPlainBase64();
      this.outLength += n;
      this.size += n;
      if (base >= 0) this.resumeAt = base + stop;
    }
  }

  /** The string's last group: 2–4 characters, padding (at most two `=`) only in a group of 4. */
  private async decodeLast(): Promise<void> {
    const group = this.carry.subarray(0, this.carryLength);
    let padding = 0;
    while (padding < 2 && padding < group.length && group[group.length - 1 - padding] === 0x3d /* = */) padding++;
    const data = group.length - padding;
    if (data <= 1 || (padding > 0 && group.length !== 4)) throw new NotPlainBase64();
    if (this.out.length - this.outLength < 3) await this.flush();
    const n = this.out.write(group.toString('latin1'), this.outLength, 'base64');
    if (n !== Math.floor((data * 3) / 4)) throw new NotPlainBase64();
    this.outLength += n;
    this.size += n;
    this.carryLength = 0;
  }

  private async flush(): Promise<void> {
    if (this.outLength === 0 || !this.handle) return;
    const out = this.out.subarray(0, this.outLength);
    this.head ??= Buffer.from(out.subarray(0, headBytes));
    if (out.length >= tailBytes) {
      out.copy(this.tail, 0, out.length - tailBytes);
      this.tailLength = tailBytes;
    } else {
      const keep = Math.min(this.tailLength, tailBytes - out.length);
      this.tail.copy(this.tail, 0, this.tailLength - keep, this.tailLength);
      out.copy(this.tail, keep);
      this.tailLength = keep + out.length;
    }
    try {
      await this.handle.write(this.out, 0, this.outLength, this.written);
    } catch (error) {
      throw ioError(path.dirname(this.path), error);
    }
    this.written += this.outLength;
    this.outLength = 0;
  }
}
