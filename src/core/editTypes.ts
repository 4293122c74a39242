/** Shapes of an image edit (`POST /images/edits`, issue #13). Validation is editValidate.ts. */
import type { OutputFormat } from '../shared/options';
import type { GenerationInput, GenerationRequest } from './types';

/** A file's name (for messages and the part's filename) and its bytes, as read. */
export interface NamedBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** What a surface asks for: the prompt and options as for a generation, the images and an optional mask. */
export interface EditInput extends Omit<GenerationInput, 'moderation' | 'user'> {
  /** The first is the image edited (the mask applies to it); the others are references. 1–16. */
  readonly images: readonly NamedBytes[];
  /** A PNG with alpha, the first image's size: alpha 0 marks the area to change. */
  readonly mask?: NamedBytes;
}

/** One checked file of an edit, ready to be a multipart part. */
export interface EditSourceImage {
  /** The name it was given (a path or file name), for messages and history. */
  readonly source: string;
  /** The part's filename: safe ASCII with the extension of `format`. */
  readonly fileName: string;
  readonly bytes: Buffer;
  /** Sniffed from the bytes. */
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  /** Set when a JPEG was converted to PNG for a masked edit. */
  readonly converted?: boolean;
}

/**
 * A validated edit: the generation fields the edit endpoint takes (never `moderation`, generations only;
 * never `input_fidelity`, which gpt-image-2 rejects) plus the files. Assignable to GenerationRequest, so
 * history and notices treat an edit like a generation.
 */
export interface EditRequest extends Omit<GenerationRequest, 'moderation' | 'user'> {
  readonly images: readonly EditSourceImage[];
  readonly mask?: EditSourceImage;
}
