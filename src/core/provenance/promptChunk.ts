import { inflateSync } from 'node:zlib';
import { findContentCredentials } from './contentCredentials';
import { isSafeRelativePath } from './historyFile';
import { afterIhdr, chunkData, encodeChunk, listPngChunks } from './pngChunks';
import type { UncheckedOptions } from '../../shared/options';

/**
 * What we write into an unsigned PNG (issue #15 §4) so the prompt travels with the file: one `iTXt`
 * chunk right after IHDR, keyword {@link provenanceKeyword}, holding this as UTF-8 JSON. A teammate's
 * Show Image Info reads it back; any PNG tool (exiftool, pngcheck) shows it.
 */
export interface ImageProvenance extends Partial<UncheckedOptions> {
  readonly prompt: string;
  readonly model?: string;
  /** Which image of the request's `n` this is (1-based). */
  readonly index?: number;
  /** ISO 8601 time of the generation. */
  readonly created?: string;
  readonly requestId?: string;
  readonly revisedPrompt?: string;
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number; readonly totalTokens?: number };
  /** Workspace-relative paths of the images this one was made from (edits). */
  readonly parents?: readonly string[];
  /** Name and version of the tool that wrote it. */
  readonly tool?: string;
}

export const provenanceKeyword = 'gpt-image-studio';
/** Our JSON never needs more; a chunk claiming more is not ours or is hostile, and is not read. */
export const maxProvenanceBytes = 256 * 1024;

/** The iTXt chunk: keyword, NUL, compression flag 0, method 0, empty language tag, NUL, empty translated keyword, NUL, text. */
export function provenanceChunk(info: ImageProvenance): Buffer {
  const json = JSON.stringify({ v: 1, ...info });
  const data = Buffer.concat([Buffer.from(provenanceKeyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(json, 'utf8')]);
  return encodeChunk('iTXt', data);
}

export type EmbedOutcome =
  | { readonly embedded: true; readonly bytes: Buffer }
  | { readonly embedded: false; readonly bytes: Uint8Array; readonly reason: 'not-png' | 'content-credentials' | 'malformed' };

/**
 * The PNG with our iTXt chunk inserted after IHDR (CRC computed), or the same bytes untouched when
 * they carry Content Credentials (a signed file must never change), are no PNG (JPEG and WebP are
 * left as they are), or are not a well-formed PNG. Pure: bytes in, bytes out.
 */
export function embedProvenance(bytes: Uint8Array, info: ImageProvenance): EmbedOutcome {
  const list = listPngChunks(bytes, { crcLimit: 0 });
  if (!list) return { embedded: false, bytes, reason: 'not-png' };
  if (findContentCredentials(bytes)) return { embedded: false, bytes, reason: 'content-credentials' };
  const first = list.chunks[0];
  if (!first || first.type !== 'IHDR' || first.length !== 13 || !list.chunks.some((chunk) => chunk.type === 'IEND')) {
    return { embedded: false, bytes, reason: 'malformed' };
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { embedded: true, bytes: Buffer.concat([b.subarray(0, afterIhdr), provenanceChunk(info), b.subarray(afterIhdr)]) };
}

/** One iTXt/tEXt/zTXt entry as read: its keyword and text (decompressed, bounded). */
export interface TextEntry {
  readonly keyword: string;
  readonly text: string;
}

/**
 * Decodes a text chunk's data; undefined for anything malformed. iTXt may be zlib-compressed: inflated
 * with an output limit, so a small "zip bomb" chunk cannot take the extension's memory.
 */
export function decodeTextChunk(type: string, data: Buffer): TextEntry | undefined {
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79) return undefined;
  const keyword = data.toString('latin1', 0, nul);
  try {
    if (type === 'tEXt') return { keyword, text: data.toString('latin1', nul + 1) };
    if (type === 'zTXt') return { keyword, text: inflateSync(data.subarray(nul + 2), { maxOutputLength: maxProvenanceBytes }).toString('latin1') };
    if (type !== 'iTXt') return undefined;
    const compressed = data[nul + 1] === 1;
    const language = data.indexOf(0, nul + 3);
    const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
    if (translated < 0) return undefined;
    const body = data.subarray(translated + 1);
    const text = compressed ? inflateSync(body, { maxOutputLength: maxProvenanceBytes }) : body;
    return { keyword, text: text.toString('utf8') };
  } catch {
    return undefined;
  }
}

/** Our record from the PNG's chunks (in memory), if there is a well-formed one. */
export function readProvenance(bytes: Uint8Array): ImageProvenance | undefined {
  const list = listPngChunks(bytes);
  for (const chunk of list?.chunks ?? []) {
    if (chunk.type !== 'iTXt' || !chunk.crcOk || chunk.length > maxProvenanceBytes) continue;
    const entry = decodeTextChunk(chunk.type, chunkData(bytes, chunk));
    if (entry?.keyword === provenanceKeyword) return parseProvenance(entry.text);
  }
  return undefined;
}

/**
 * Our JSON, read as untrusted (a teammate's file, or anyone's): only known fields of the right type
 * and bounded length are kept; undefined without a usable prompt.
 */
export function parseProvenance(text: string): ImageProvenance | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const str = (value: unknown, max: number): string | undefined => (typeof value === 'string' && value.length <= max ? value : undefined);
  const int = (value: unknown, max: number): number | undefined =>
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max ? value : undefined;
  const prompt = str(r.prompt, 32_000);
  if (prompt === undefined || prompt.trim() === '') return undefined;
  const usage = typeof r.usage === 'object' && r.usage !== null ? (r.usage as Record<string, unknown>) : undefined;
  const parents = Array.isArray(r.parents) ? r.parents.filter((p): p is string => typeof p === 'string' && isSafeRelativePath(p)).slice(0, 16) : undefined;
  const info: ImageProvenance = {
    prompt,
    model: str(r.model, 100),
    size: str(r.size, 20),
    quality: str(r.quality, 20),
    background: str(r.background, 20),
    outputFormat: str(r.outputFormat, 20),
    n: int(r.n, 100),
    index: int(r.index, 100),
    created: str(r.created, 40),
    requestId: str(r.requestId, 200),
    revisedPrompt: str(r.revisedPrompt, 32_000),
    usage: usage && compact({
      inputTokens: int(usage.inputTokens, 1e9),
      outputTokens: int(usage.outputTokens, 1e9),
      totalTokens: int(usage.totalTokens, 1e9),
    }),
    parents: parents?.length ? parents : undefined,
    tool: str(r.tool, 100),
  };
  return compact(info) as ImageProvenance;
}

/** The object without its undefined fields, or undefined when none is left. */
function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, field]) => field !== undefined);
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}
