import type { ImageFileInfo } from './imageFileInfo';
import type { ImageProvenance } from './promptChunk';
import type { UncheckedOptions } from '../../shared/options';

/** What the history (local or the repository's history file) knows about an image. */
export interface RecordedGeneration extends Partial<UncheckedOptions> {
  readonly prompt: string;
  readonly model?: string;
  /** Epoch milliseconds. */
  readonly createdAt?: number;
  readonly requestId?: string;
  /** Already formatted by the pricing module, e.g. `$0.053` or `≈ $0.21 (estimate)`. */
  readonly cost?: string;
  readonly parents?: readonly string[];
  /** `workspace history` or `.gpt-image-history.jsonl`. */
  readonly source: string;
}

export interface InfoRow {
  readonly label: string;
  readonly value: string;
}

export interface ImageInfoSummary {
  /** The prompt to reuse, when any source has one. */
  readonly prompt?: string;
  readonly options?: Partial<Omit<UncheckedOptions, 'n'>>;
  readonly rows: readonly InfoRow[];
}

/**
 * The rows Show Image Info lists, from what the file says (our iTXt record, C2PA presence) and what a
 * history recorded. The file wins for prompt and options (it travels with the image); the history adds
 * the cost. Content Credentials are reported as present or absent, never as verified: nothing here
 * checks a signature. `cost` is the file's usage priced by the caller, when no history has a cost.
 */
export function summarizeImageInfo(file: ImageFileInfo, recorded: RecordedGeneration | undefined, usageCost?: string): ImageInfoSummary {
  const embedded: ImageProvenance | undefined = file.provenance;
  const prompt = embedded?.prompt ?? recorded?.prompt;
  const rows: InfoRow[] = [];
  const add = (label: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') rows.push({ label, value });
  };
  add('Prompt', prompt ?? 'not recorded (made elsewhere, or with gptImage.embedPrompt off and no history entry)');
  if (embedded?.revisedPrompt && embedded.revisedPrompt !== prompt) add('Revised prompt', embedded.revisedPrompt);
  const options = {
    size: embedded?.size ?? recorded?.size,
    quality: embedded?.quality ?? recorded?.quality,
    outputFormat: embedded?.outputFormat ?? recorded?.outputFormat,
    background: embedded?.background ?? recorded?.background,
  };
  const n = embedded?.n ?? recorded?.n;
  const optionText = [
    options.size,
    options.quality && `${options.quality} quality`,
    options.outputFormat,
    options.background && `${options.background} background`,
    n !== undefined && (embedded?.index ? `image ${embedded.index} of ${n}` : `${n} image${n === 1 ? '' : 's'}`),
  ].filter(Boolean);
  add('Options', optionText.length ? optionText.join(' · ') : undefined);
  add('Model', embedded?.model ?? recorded?.model);
  add('Created', formatTime(embedded?.created, recorded?.createdAt));
  add('Request id', embedded?.requestId ?? recorded?.requestId);
  add('Cost', recorded?.cost ?? usageCost);
  const parents = embedded?.parents ?? recorded?.parents;
  add('Parent images', parents?.length ? parents.join(', ') : 'none');
  add('Content Credentials (C2PA)', file.contentCredentials ? `present (${file.contentCredentials}; not verified here)` : 'absent');
  add('Image', describeFile(file));
  const sources = [embedded && 'the file itself', recorded?.source].filter(Boolean);
  add('Recorded in', sources.length ? sources.join(' and ') : 'nothing');
  if (file.problems.length) add('File problems', file.problems.join('; '));
  return { prompt, options, rows };
}

function formatTime(iso: string | undefined, epochMs: number | undefined): string | undefined {
  const date = iso !== undefined && !Number.isNaN(Date.parse(iso)) ? new Date(iso) : epochMs !== undefined ? new Date(epochMs) : undefined;
  if (!date || Number.isNaN(date.getTime())) return undefined;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function describeFile(file: ImageFileInfo): string {
  const format = file.format === 'other' ? 'not a PNG, JPEG or WebP' : file.format.toUpperCase();
  const size = file.width !== undefined ? `${file.width}×${file.height}, ` : '';
  return `${format}, ${size}${formatBytes(file.byteLength)}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
