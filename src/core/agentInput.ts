import { ImageApiError } from './errors';
import { quoteValue } from '../shared/plainText';
import { colonSegment, vcsSegment } from './vcsGuard';
import type { ImageOptionField, UncheckedOptions } from '../shared/options';

/**
 * The input of the agent tools (`gptImage_generateImage`, `gptImage_editImage`), from a language model
 * in VS Code or any MCP client: untrusted. Checked here before anything is shown or sent, with messages
 * a model can act on (the field, what is allowed, what it sent). Options the API validates (size,
 * quality, background, outputFormat) are passed on to validateRequest, which names allowed values too.
 */

/** Images per call an agent may ask for: every image is billed, and four is plenty to choose from. */
export const maxAgentImages = 4;
/** Reference images an edit may take (the API's limit). */
export const maxEditImages = 16;
export const maxFileNameLength = 100;
/** Generous for a workspace path, small enough that no message quotes an essay. */
export const maxPathLength = 1024;

/** The image options an agent may set; unchecked here (validateRequest checks them, naming the field). */
export type AgentOutputOptions = Partial<UncheckedOptions>;

export interface GenerateToolInput {
  readonly prompt: string;
  /** Base name without extension; the extension follows the image format. */
  readonly fileName?: string;
  /** Workspace-relative folder as given (checked against the workspace by the host). */
  readonly folder?: string;
  /** Path of the file that will reference the image, as given. */
  readonly linkFrom?: string;
  /** Attach a downscaled picture of each saved image to the result (default: the surface decides). */
  readonly includeImage?: boolean;
  readonly options: AgentOutputOptions;
}

export interface EditToolInput extends GenerateToolInput {
  /** Workspace paths; the first is the image edited, the others are references. */
  readonly images: readonly string[];
  readonly mask?: string;
}

const outputFields = ['size', 'quality', 'background', 'outputFormat', 'n'] as const satisfies readonly ImageOptionField[];
const generateFields = ['prompt', 'fileName', 'folder', 'linkFrom', 'includeImage', ...outputFields] as const;
const editFields = [...generateFields, 'images', 'mask'] as const;

function invalid(param: string, message: string): ImageApiError {
  return new ImageApiError('validation', `Input "${param}": ${message}`, { param });
}

/** Reads and checks `gptImage_generateImage`'s input; throws a `validation` ImageApiError naming the field. */
export function parseGenerateInput(raw: unknown): GenerateToolInput {
  const input = record(raw, generateFields);
  return parseCommon(input);
}

/** Reads and checks `gptImage_editImage`'s input (the paths are checked against the workspace later). */
export function parseEditInput(raw: unknown): EditToolInput {
  const input = record(raw, editFields);
  const common = parseCommon(input);
  const images = input.images;
  if (!Array.isArray(images) || images.length < 1 || images.length > maxEditImages) {
    throw invalid('images', `give 1 to ${maxEditImages} workspace paths of images (the first is the one edited).`);
  }
  images.forEach((image, i) => pathString(image, `images[${i}]`));
  const mask = optionalPath(input.mask, 'mask');
  return { ...common, images: images as string[], ...(mask !== undefined && { mask }) };
}

function parseCommon(input: Record<string, unknown>): GenerateToolInput {
  if (typeof input.prompt !== 'string' || input.prompt.trim() === '') {
    throw invalid('prompt', 'required: describe the image in words.');
  }
  const hiddenInPrompt = promptFormatCharacter.exec(input.prompt)?.[0];
  if (hiddenInPrompt !== undefined) {
    throw invalid('prompt', `contains the invisible character ${codePoint(hiddenInPrompt)}, so the prompt shown for confirmation would not be the prompt sent; remove it.`);
  }
  const fileName = parseFileName(input.fileName);
  const folder = optionalPath(input.folder, 'folder');
  const linkFrom = optionalPath(input.linkFrom, 'linkFrom');
  if (input.includeImage !== undefined && typeof input.includeImage !== 'boolean') {
    throw invalid('includeImage', `must be true or false, not ${describe(input.includeImage)}.`);
  }
  const options: Record<string, unknown> = {};
  for (const field of ['size', 'quality', 'background', 'outputFormat'] as const) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalid(field, `must be text, not ${describe(value)}.`);
    options[field] = value;
  }
  if (input.n !== undefined) {
    const n = input.n;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > maxAgentImages) {
      throw invalid('n', `must be a whole number from 1 to ${maxAgentImages} (each image is billed), not ${describe(n)}.`);
    }
    options.n = n;
  }
  return {
    prompt: input.prompt,
    ...(fileName !== undefined && { fileName }),
    ...(folder !== undefined && { folder }),
    ...(linkFrom !== undefined && { linkFrom }),
    ...(typeof input.includeImage === 'boolean' && { includeImage: input.includeImage }),
    options: options as AgentOutputOptions,
  };
}

/** An object with only known fields; `null` counts as left out (models send it for optional fields). */
function record(raw: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ImageApiError('validation', 'The tool input must be an object with at least "prompt".', { param: 'input' });
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === null || value === undefined) continue;
    if (!allowed.includes(key)) {
      throw invalid(key.slice(0, 40), `unknown field; the fields are ${allowed.join(', ')}.`);
    }
    out[key] = value;
  }
  return out;
}

function optionalPath(value: unknown, param: string): string | undefined {
  return value === undefined ? undefined : pathString(value, param);
}

function pathString(value: unknown, param: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(param, 'must be a workspace-relative path.');
  if (value.length > maxPathLength) throw invalid(param, `is longer than ${maxPathLength} characters.`);
  if (/\p{Cc}/u.test(value)) throw invalid(param, 'contains a control character.');
  const hidden = invisibleCharacter(value);
  if (hidden) throw invalid(param, `contains the invisible character ${hidden}, so the path shown would not be the path used; type the path without it.`);
  const colon = colonSegment(value.trim());
  if (colon !== undefined) throw invalid(param, `has a ":" inside the path (${quoteValue(colon)}); only a leading drive letter may have one (on Windows it names a data stream or another drive).`);
  const vcs = vcsSegment(value);
  if (vcs !== undefined) throw invalid(param, `leads into version control metadata (${quoteValue(vcs)}), which the tools never read or write; use a folder of the project.`);
  return value.trim();
}

/**
 * Characters that show as nothing (or as a space) while naming something else: format characters
 * (zero-width, bidi marks and overrides), private-use and unassigned code points, line separators,
 * spaces other than U+0020, the Hangul and halfwidth fillers, the braille blank, the combining grapheme
 * joiner, Khmer inherent vowels, Mongolian selectors and variation selectors.
 */
const invisible =
  /[\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b-\u180f\ufe00-\ufe0f\u{e0100}-\u{e01ef}\u{1d173}-\u{1d17a}]/u;

/** `U+200B` for the first invisible character of `text`, else undefined. */
export function invisibleCharacter(text: string): string | undefined {
  const found = invisible.exec(text)?.[0];
  return found === undefined ? undefined : codePoint(found);
}

function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * In a prompt: format characters that hide or reorder text in the confirmation (bidi marks, embeddings,
 * overrides and isolates, zero-width spaces, the BOM, Unicode tag characters that can carry a hidden
 * sentence). The joiners U+200C and U+200D stay: scripts and emoji need them.
 */
const promptFormatCharacter = /(?![\u200c\u200d])\p{Cf}/u;

const reservedWindowsName = /^(con|prn|aux|nul|conin\$|conout\$|clock\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const imageExtension = /\.(png|jpe?g|webp)$/i;

/**
 * `hero`, `hero-banner_2`, `Hero Image`, also `hero.png` (the extension is dropped: the saved file's
 * extension follows the image format). A base name only: refused are separators, `..`, characters
 * Windows forbids, control and invisible formatting characters (bidi overrides could disguise an
 * extension), a leading dot (hidden files), a trailing dot or space, reserved device names, and more
 * than {@link maxFileNameLength} characters. Refused rather than repaired, so the agent knows the name
 * it gets back is the one it asked for (or that name with `-1`, `-2`… when taken).
 */
function parseFileName(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid('fileName', `must be text, not ${describe(value)}.`);
  if (value.length > maxFileNameLength) throw invalid('fileName', `is longer than ${maxFileNameLength} characters.`);
  const name = value.trim().replace(imageExtension, '');
  const fail = (why: string): never => {
    throw invalid('fileName', `${quoteValue(value)} ${why}. Give a base name such as "hero-banner"; use "folder" for the folder.`);
  };
  if (name === '') fail('is empty');
  if (/[\\/]/.test(name)) fail('contains a path separator');
  if (name === '.' || name === '..' || name.includes('..')) fail('contains ".."');
  if (/\p{Cc}/u.test(name)) fail('contains a control character');
  if (/[<>:"|?*]/.test(name)) fail('contains a character not allowed in file names (< > : " | ? *)');
  const hidden = invisibleCharacter(name);
  if (hidden) fail(`contains the invisible character ${hidden}`);
  if (name.startsWith('.')) fail('starts with a dot (a hidden file)');
  if (/[. ]$/.test(name)) fail('ends with a dot or a space');
  const [base = ''] = name.split('.');
  if (reservedWindowsName.test(base.trim())) fail('is a reserved device name on Windows');
  return name;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return quoteValue(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : typeof value;
}
