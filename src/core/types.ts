/** Shapes of the images API the engine works with. The option vocabulary is src/shared/options.ts. */
import type { ImageOptionField, ImageOptions, Moderation, OutputFormat } from '../shared/options';

export const defaultBaseUrl = 'https://api.wisgate.ai/v1';

/** What a user asks for, before validation: fields may be missing or of the wrong type. */
export interface GenerationInput extends Partial<Readonly<Record<ImageOptionField, unknown>>> {
  readonly prompt?: unknown;
  readonly model?: unknown;
  readonly outputCompression?: unknown;
  readonly moderation?: unknown;
  readonly user?: unknown;
}

/** A validated request. Optional fields are sent only when set. */
export interface GenerationRequest extends Pick<ImageOptions, 'n' | 'size'>, Partial<Pick<ImageOptions, 'quality' | 'background' | 'outputFormat'>> {
  readonly prompt: string;
  readonly model: string;
  readonly outputCompression?: number;
  readonly moderation?: Moderation;
  readonly user?: string;
}

export interface ImageUsage {
  readonly total_tokens?: number;
  readonly input_tokens?: number;
  readonly output_tokens?: number;
  readonly input_tokens_details?: { readonly text_tokens?: number; readonly image_tokens?: number };
}

export interface GeneratedImage {
  readonly bytes: Buffer;
  /** What the bytes are, by their magic numbers (never the server's `output_format` echo). */
  readonly format: OutputFormat;
  readonly revisedPrompt?: string;
}

export interface GenerationResult {
  readonly images: readonly GeneratedImage[];
  /** The format of every image's bytes, sniffed (one answer never mixes formats); it picks the file extension. */
  readonly outputFormat: OutputFormat;
  readonly usage?: ImageUsage;
  readonly requestId?: string;
  readonly created?: number;
}

/**
 * An image of a generation decoded to disk (issue #11): `tempFile` is a complete, fsynced temp file of
 * ours that saving renames into place; images that came another way (a `url` item, the generic path
 * for unusual answers) are `bytes` in memory.
 */
export type SpooledImage = Omit<GeneratedImage, 'bytes'> &
  ({ readonly bytes: Buffer } | { readonly tempFile: string; readonly byteLength: number });

export interface SpooledGenerationResult extends Omit<GenerationResult, 'images'> {
  readonly images: readonly SpooledImage[];
}

/** One line per event; the extension routes it to a LogOutputChannel. Never pass the API key. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
