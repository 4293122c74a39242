import { randomBytes } from 'node:crypto';
import { isObject } from './responseErrors';

/**
 * Decodes base64 (standard alphabet, padding optional, a `data:…;base64,` prefix and line breaks
 * tolerated). Undefined for anything else: Buffer.from(…, 'base64') silently skips garbage, which would
 * turn a broken response into a broken image file.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  let value = text;
  const dataUrl = /^data:[^,]{0,200};base64,/i.exec(value);
  if (dataUrl) value = value.slice(dataUrl[0].length);
  // What servers send is one unbroken canonical string: decode it, re-encode and compare (~3 ms for a
  // 2 MB image; the regular expressions below take ~15 ms). Anything else takes the careful path.
  const bytes = Buffer.from(value, 'base64');
  if (value.length > 0 && bytes.toString('base64') === value) return bytes;
  if (/\s/.test(value)) value = value.replace(/\s+/g, '');
  if (value.length === 0 || value.length % 4 === 1) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const padding = value.length - value.replace(/=+$/, '').length;
  if (padding > 0 && value.length % 4 !== 0) return undefined;
  return Buffer.from(value, 'base64');
}

const b64Key = Buffer.from('"b64_json"');
/** Base64 characters decoded per step: a multiple of 4, and small enough to stay in V8's young generation. */
const b64Step = 64 * 1024;

/**
 * The fast path for a 200 answer: decodes every `b64_json` straight from the body bytes, 64 KB of base64
 * at a time and in place (3 bytes out for every 4 read, so the image overwrites only base64 already
 * read; the images are views of the body), and JSON-parses only the rest. The generic way (bytes →
 * text → JSON.parse → decode) makes three more full-size copies of an answer that can be 30 MB (ten
 * 1536x1024 PNGs), and V8 does not reclaim them before the request is over: the process grew by 4–5×
 * the answer; this way it holds the body once. Undefined whenever anything is unusual (escaped
 * characters, base64 that is not canonical, broken JSON, a `b64_json` outside `data`, more images than
 * the `maxImages` asked for): the generic path then decides, with its messages. Everything is checked
 * before the first byte is overwritten. The placeholder that stands for each string carries a random
 * nonce per response, so a server cannot forge one (`"b64\u005fjson":"\u0000b64#0"` naming the base64
 * of some other field); each must be used exactly once, as the `b64_json` of a `data` item.
 */
export function extractImages(
  body: Buffer,
  maxImages: number,
): { json: Record<string, unknown>; images: Map<object, Buffer> } | undefined {
  const nonce = randomBytes(8).toString('hex');
  const placeholder = new RegExp(`^\\u0000b64#${nonce}#(\\d+)$`);
  const pieces: string[] = [];
  const ranges: Array<readonly [number, number]> = [];
  const scratch = Buffer.allocUnsafe((b64Step / 4) * 3);
  let from = 0;
  for (let at = body.indexOf(b64Key); at !== -1; at = body.indexOf(b64Key, from)) {
    let i = skipJsonSpace(body, at + b64Key.length);
    if (body[i] !== 0x3a /* : */) return undefined;
    i = skipJsonSpace(body, i + 1);
    if (body[i] !== 0x22 /* " */) return undefined;
    const start = i + 1;
    const end = body.indexOf(0x22, start);
    if (end === -1 || ranges.length >= maxImages) return undefined;
    if (decodeBase64Range(body, start, end, scratch) === undefined) return undefined;
    // The JSON text gets `"b64_json":"\u0000b64#<nonce>#0"` instead: a value no server can guess.
    pieces.push(body.toString('utf8', from, start), `\\u0000b64#${nonce}#${ranges.length}`);
    ranges.push([start, end]);
    from = end;
  }
  if (ranges.length === 0) return undefined;
  pieces.push(body.toString('utf8', from));
  let json: unknown;
  try {
    json = JSON.parse(pieces.join(''));
  } catch {
    return undefined;
  }
  if (!isObject(json) || !Array.isArray(json.data) || json.data.length > maxImages) return undefined;
  const found = new Map<object, readonly [number, number]>();
  const used = new Set<number>();
  for (const item of json.data) {
    if (!isObject(item) || typeof item.b64_json !== 'string') continue;
    const index = placeholder.exec(item.b64_json)?.[1];
    const range = index === undefined ? undefined : ranges[Number(index)];
    // Not ours, used twice (the same object twice in data cannot happen in parsed JSON, but be sure)…
    if (range === undefined || used.has(Number(index)) || found.has(item)) return undefined;
    used.add(Number(index));
    found.set(item, range);
  }
  // …or a string outside data (whose placeholder then sits elsewhere in the JSON): the generic path.
  if (found.size !== ranges.length || used.size !== ranges.length) return undefined;
  // All checked: now decode for real, each image into the start of its own base64.
  const images = new Map<object, Buffer>();
  for (const [item, [start, end]] of found) {
    images.set(item, body.subarray(start, start + decodeBase64Range(body, start, end, body.subarray(start))!));
    delete (item as Record<string, unknown>).b64_json;
  }
  return { json, images };
}

function skipJsonSpace(body: Buffer, i: number): number {
  while (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09) i++;
  return i;
}

/**
 * Decodes `body[start, end)` as standard base64 (padding optional) and returns the decoded length, or
 * undefined when it is not base64. With `into` of 48 KB the bytes only pass through it (a check);
 * with `into = body.subarray(start)` they land in place. Node's decoder skips characters outside the
 * alphabet and stops at a misplaced `=`, so any such character leaves a step short of its ⌊3n/4⌋
 * bytes; `-` and `_` (base64url), which it would accept, are refused up front.
 */
function decodeBase64Range(body: Buffer, start: number, end: number, into: Buffer): number | undefined {
  const length = end - start;
  let padding = 0;
  while (padding < 2 && padding < length && body[end - 1 - padding] === 0x3d /* = */) padding++;
  const data = length - padding;
  if (data === 0 || data % 4 === 1 || (padding > 0 && length % 4 !== 0)) return undefined;
  const range = body.subarray(start, end);
  if (range.includes(0x2d /* - */) || range.includes(0x5f /* _ */)) return undefined;
  const inPlace = into.buffer === body.buffer && into.byteOffset === body.byteOffset + start;
  let written = 0;
  for (let step = start; step < end; step += b64Step) {
    const stop = Math.min(step + b64Step, end);
    const chars = stop - step - (stop === end ? padding : 0);
    // The string is a copy, so writing in place never clobbers what this step reads.
    const n = into.write(body.toString('latin1', step, stop), inPlace ? written : 0, 'base64');
    if (n !== Math.floor((chars * 3) / 4)) return undefined;
    written += n;
  }
  return written === Math.floor((data * 3) / 4) ? written : undefined;
}
