import type { Dispatcher } from 'undici';

export type ResponseBody = Dispatcher.ResponseData['body'];

/**
 * How many bytes one answer may still bring in: the JSON body and every image downloaded for it
 * draw on the same budget (issue #9, part 2), so fifteen 20 MB downloads cannot hold 300 MB.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get remaining(): number {
    return Math.max(0, this.limit - this.used);
  }

  spend(bytes: number): void {
    this.used += bytes;
  }
}

/** The first buffer of a body without a usable Content-Length; it doubles as needed. */
const initialBodyBytes = 64 * 1024;

/**
 * Reads a body chunk by chunk and stops as soon as `limit` is passed: with `onOverflow` the read
 * fails with its error, without it the first `limit` bytes are kept (enough for an error message).
 * Chunks are copied into one buffer as they arrive, sized by the `declared` Content-Length when there
 * is a plausible one and doubled whenever it is full (a lying Content-Length included), so the body
 * is never held twice over as chunks and then their concatenation. The result may be a view into a
 * larger buffer (pages never written cost no memory).
 */
export async function readBody(
  body: ResponseBody,
  limit: number,
  onOverflow?: () => Error,
  declared?: number,
): Promise<Buffer> {
  const exact = declared !== undefined && Number.isSafeInteger(declared) && declared > 0 && declared <= limit;
  let whole = Buffer.allocUnsafe(exact ? declared : Math.min(limit, initialBodyBytes));
  let size = 0;
  const reserve = (needed: number): void => {
    if (needed <= whole.length) return;
    const larger = Buffer.allocUnsafe(Math.min(limit, Math.max(needed, whole.length * 2)));
    whole.copy(larger, 0, 0, size);
    whole = larger;
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      discard(body);
      if (onOverflow) throw onOverflow();
      reserve(limit);
      chunk.copy(whole, size, 0, limit - size);
      size = limit;
      break;
    }
    reserve(size + chunk.length);
    chunk.copy(whole, size);
    size += chunk.length;
  }
  return size === whole.length ? whole : whole.subarray(0, size);
}

/** Stops reading a body; undici reports the destroy as an 'error' event, which nobody needs to see. */
export function discard(body: ResponseBody): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** A header's (first) value. */
export function headerValue(headers: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = headers[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}
