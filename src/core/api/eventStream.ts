/**
 * Server-sent events (text/event-stream) as the images API streams them (issue #14): an incremental
 * parser over raw bytes, and the reading of one event as a partial image, the final image or an error.
 *
 * The parser works on bytes, not strings: a chunk may end inside a multi-byte character or inside a
 * 20 MB base64 line, and each line is decoded once, when complete. Lines end in LF or CRLF (a lone CR,
 * allowed by the spec but sent by no image API, is not a line end here). Memory is bounded: an event
 * larger than `maxEventBytes` is skipped (its bytes are not kept) and counted in `oversized`, so a
 * hostile 100 MB "preview" costs neither the memory nor the generation.
 */

export interface ServerSentEvent {
  /** The `event:` field, when the server sent one. */
  readonly event?: string;
  /** The `data:` lines joined with LF. */
  readonly data: string;
}

const LF = 0x0a;
const CR = 0x0d;

export class EventStreamParser {
  /** Bytes of the line not yet ended, as chunks (a 20 MB line is never copied chunk by chunk). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private eventName: string | undefined;
  private dataLines: string[] = [];
  private eventBytes = 0;
  private stopped = false;
  /** Inside an event that passed the limit: its lines are dropped up to its blank line. */
  private skipping = false;
  /** Events dropped for their size. */
  oversized = 0;

  /** `onEvent` returns `false` to stop: later bytes are ignored (the final image has arrived). */
  constructor(
    private readonly onEvent: (event: ServerSentEvent) => boolean | void,
    private readonly maxEventBytes = 64 * 1024 * 1024,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Feeds the next bytes. */
  push(chunk: Uint8Array): void {
    let start = 0;
    while (!this.stopped && start < chunk.length) {
      const end = chunk.indexOf(LF, start);
      if (end < 0) {
        this.hold(chunk.subarray(start));
        return;
      }
      const piece = chunk.subarray(start, end);
      start = end + 1;
      let line: Buffer;
      if (this.pending.length > 0) {
        this.hold(piece);
        line = Buffer.concat(this.pending, this.pendingBytes);
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        this.grow(piece.length);
        line = Buffer.from(piece.buffer, piece.byteOffset, piece.length);
      }
      this.line(line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line);
    }
  }

  /**
   * The stream closed. An event whose blank line never came is still delivered: relays that close
   * right after the last `data:` line exist, and a final image must not be lost to them.
   */
  end(): void {
    if (this.stopped) return;
    if (this.pendingBytes > 0) {
      const line = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.line(line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line);
    }
    if (!this.stopped) this.dispatch();
  }

  private hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.grow(bytes.length);
    if (this.skipping) return;
    // Copied: the caller's chunk may be reused by the stream once push returns.
    this.pending.push(Buffer.from(bytes));
    this.pendingBytes += bytes.length;
  }

  private grow(bytes: number): void {
    this.eventBytes += bytes;
    if (this.eventBytes > this.maxEventBytes && !this.skipping) {
      this.skipping = true;
      this.oversized++;
      this.pending = [];
      this.pendingBytes = 0;
      this.dataLines = [];
    }
  }

  private line(line: Buffer): void {
    if (this.skipping) {
      // Only the blank line that ends the oversized event matters; the held part of a line is gone.
      if (line.length === 0) {
        this.skipping = false;
        this.eventBytes = 0;
        this.eventName = undefined;
        this.dataLines = [];
      }
      return;
    }
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    // Comments (`: keep-alive`) carry nothing.
    if (line[0] === 0x3a) return;
    const colon = line.indexOf(0x3a);
    const field = (colon < 0 ? line : line.subarray(0, colon)).toString('utf8');
    let value = colon < 0 ? '' : line.subarray(colon + 1).toString('utf8');
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
    // `id` and `retry` are for reconnecting EventSource clients; an image stream is never resumed.
  }

  private dispatch(): void {
    const data = this.dataLines.join('\n');
    const event = this.eventName;
    this.dataLines = [];
    this.eventName = undefined;
    this.eventBytes = 0;
    if (data === '' && event === undefined) return;
    if (this.onEvent(event === undefined ? { data } : { event, data }) === false) {
      this.stopped = true;
      this.pending = [];
      this.pendingBytes = 0;
    }
  }
}

/** One event read as the images API means it. */
export type ImageStreamEvent =
  | { readonly kind: 'partial'; readonly b64: string; readonly index?: number }
  | { readonly kind: 'completed'; readonly b64?: string; readonly json: Readonly<Record<string, unknown>> }
  | { readonly kind: 'error'; readonly message: string; readonly code?: string }
  | { readonly kind: 'ignored' };

/**
 * `image_generation.partial_image` / `image_edit.partial_image` (by `data.type`, else the `event:`
 * name), `*.completed`, and failures: `event: error` or a `data` object with `error`. The base64 is
 * `b64_json`, or `partial_image_b64` as some relays name it. `[DONE]`, non-JSON keep-alives and
 * unknown types are ignored.
 */
export function readImageEvent(event: ServerSentEvent): ImageStreamEvent {
  const data = event.data.trim();
  if (data === '[DONE]' || data === '') return event.event === 'error' ? { kind: 'error', message: 'the server reported an error' } : { kind: 'ignored' };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return event.event === 'error' ? { kind: 'error', message: firstLine(data) } : { kind: 'ignored' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return event.event === 'error' ? { kind: 'error', message: 'the server reported an error' } : { kind: 'ignored' };
  }
  const record = json as Record<string, unknown>;
  const type = typeof record.type === 'string' ? record.type : (event.event ?? '');
  if (event.event === 'error' || type === 'error' || record.error !== undefined) {
    const inner = typeof record.error === 'object' && record.error !== null ? (record.error as Record<string, unknown>) : record;
    const message = typeof inner.message === 'string' ? firstLine(inner.message) : typeof record.error === 'string' ? firstLine(record.error) : 'the server reported an error';
    const code = typeof inner.code === 'string' ? inner.code.slice(0, 100) : undefined;
    return code === undefined ? { kind: 'error', message } : { kind: 'error', message, code };
  }
  const b64 = typeof record.b64_json === 'string' ? record.b64_json : typeof record.partial_image_b64 === 'string' ? record.partial_image_b64 : undefined;
  if (type.endsWith('.partial_image')) {
    if (b64 === undefined) return { kind: 'ignored' };
    const index = record.partial_image_index;
    return typeof index === 'number' && Number.isInteger(index) ? { kind: 'partial', b64, index } : { kind: 'partial', b64 };
  }
  if (type.endsWith('.completed')) return b64 === undefined ? { kind: 'completed', json: record } : { kind: 'completed', b64, json: record };
  return { kind: 'ignored' };
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
