import { ImageApiError } from '../errors';
import type { GenerationRequest, GenerationResult, ImageUsage, SpooledGenerationResult, SpooledImage } from '../types';
import { decodeBase64Strict } from './base64Images';
import type { Context } from './client';
import type { Deadline } from './deadline';
import { ImageDownloads } from './download';
import type { ByteBudget } from './responseBody';
import { type AttemptOutcome, cut, isObject } from './responseErrors';
import { describeNonImage, sniffImageFormat } from './sniff';
import type { OutputFormat } from '../../shared/options';

/** {@link toSpooledResult} for an outcome whose images are all in memory (no spool folder was given). */
export async function toResult(...args: Parameters<typeof toSpooledResult>): Promise<GenerationResult> {
  return (await toSpooledResult(...args)) as GenerationResult;
}

/** The images of a 2xx answer, checked, sniffed and downloaded; streamed ones stay temp files (issue #11). */
export async function toSpooledResult(
  context: Context,
  /** Only `n` matters: an answer with more images than asked for is refused. */
  request: Pick<GenerationRequest, 'n'>,
  outcome: Extract<AttemptOutcome, { ok: true }>,
  attempts: number,
  deadline: Deadline,
  budget: ByteBudget,
): Promise<SpooledGenerationResult> {
  const { json, requestId, images: predecoded } = outcome;
  const data = json.data as unknown[];
  const bad = (message: string): ImageApiError => new ImageApiError('badResponse', message, { status: 200, requestId, attempts });
  if (data.length > request.n) {
    throw bad(`The server answered with ${data.length} images but ${request.n} ${request.n === 1 ? 'was' : 'were'} asked for, so none were saved.`);
  }
  const downloads = new ImageDownloads(
    {
      base: context.base,
      apiKey: context.apiKey,
      userAgent: context.userAgent,
      dispatcher: context.dispatcher,
      logger: context.logger,
      redact: context.redact,
      lookup: context.lookup,
      rangeOf: context.internalRange,
      signal: context.signal,
      requestId,
      attempts,
    },
    deadline,
    budget,
  );
  const images: SpooledImage[] = [];
  try {
    for (const [index, item] of data.entries()) {
      const label = data.length > 1 ? `Image ${index + 1} of ${data.length}` : 'The image';
      if (!isObject(item)) throw bad(`${label} in the response is not an object.`);
      const revisedPrompt = typeof item.revised_prompt === 'string' ? context.redact(item.revised_prompt) : undefined;
      const early = predecoded?.get(item);
      if (early !== undefined && !Buffer.isBuffer(early)) {
        // Streamed to a temp file while the body arrived (streamingImages), and sniffed then: never loaded.
        const format = checkFormat(early.sniffed.format, early.sniffed.description, label, images[0]?.format, bad);
        images.push({ tempFile: early.tempFile, byteLength: early.byteLength, format, ...(revisedPrompt !== undefined && { revisedPrompt }) });
        continue;
      }
      let bytes: Buffer | undefined = early;
      if (bytes) {
        // decoded by extractImages
      } else if (typeof item.b64_json === 'string') {
        bytes = decodeBase64Strict(item.b64_json);
        if (!bytes) throw bad(`${label} in the response is not valid base64.`);
        // The base64 text (4/3 of the image) is done with: let it go while the next image decodes.
        delete item.b64_json;
      } else if (typeof item.url === 'string') {
        bytes = await fromUrl(downloads, item.url, label, bad);
      } else {
        throw bad(`${label} in the response has neither b64_json nor url.`);
      }
      const format = imageFormat(bytes, label, images[0]?.format, bad);
      images.push({ bytes, format, ...(revisedPrompt !== undefined && { revisedPrompt }) });
    }
  } finally {
    downloads.close();
  }
  const first = images[0];
  if (first === undefined) throw bad('The server answered but returned no images.'); // responseErrors refused that already
  const outputFormat = first.format;
  const echoed = json.output_format;
  if (typeof echoed === 'string' && echoed !== outputFormat) {
    context.logger.warn(`The server said output_format "${cut(echoed, 20)}" but the bytes are ${formatName(outputFormat)}: saved as ${formatName(outputFormat)}.`);
  }
  return {
    images,
    outputFormat,
    ...usageOf(json.usage),
    ...(requestId !== undefined && { requestId }),
    ...(typeof json.created === 'number' && { created: json.created }),
  };
}

/**
 * The known token counts of `usage`, each a finite non-negative integer; everything else is dropped
 * (issue #9, F1): the host logs usage, and a server's strings there could carry the key or link text.
 */
export function usageOf(value: unknown): { usage?: ImageUsage } {
  if (!isObject(value)) return {};
  const count = (field: unknown): number | undefined =>
    typeof field === 'number' && Number.isSafeInteger(field) && field >= 0 ? field : undefined;
  const pick = <K extends string>(from: Record<string, unknown>, keys: readonly K[]): Partial<Record<K, number>> => {
    const picked: Partial<Record<K, number>> = {};
    for (const key of keys) {
      const n = count(from[key]);
      if (n !== undefined) picked[key] = n;
    }
    return picked;
  };
  const usage: { -readonly [K in keyof ImageUsage]: ImageUsage[K] } = pick(value, ['input_tokens', 'output_tokens', 'total_tokens'] as const);
  if (isObject(value.input_tokens_details)) {
    const details = pick(value.input_tokens_details, ['text_tokens', 'image_tokens'] as const);
    if (Object.keys(details).length > 0) usage.input_tokens_details = details;
  }
  return Object.keys(usage).length > 0 ? { usage } : {};
}

/** A `url` item: a data URL is decoded (its media type says nothing), anything else downloaded. */
async function fromUrl(downloads: ImageDownloads, url: string, label: string, bad: (message: string) => ImageApiError): Promise<Buffer> {
  const lower = `${label.charAt(0).toLowerCase()}${label.slice(1)}`;
  if (!/^data:/i.test(url)) return downloads.fetch(url, lower);
  const bytes = decodeBase64Strict(url);
  if (!bytes) throw bad(`The data URL of ${lower} is not valid base64.`);
  return bytes;
}

/**
 * The format the bytes are (issue #9, part 3): HTML, JSON or a GIF under `b64_json`, a
 * `data:text/html` URL or JPEG bytes under an `output_format: "webp"` echo are never saved with an
 * image extension. One answer is one format, as the file names of one generation share an extension.
 */
function imageFormat(
  bytes: Buffer,
  label: string,
  first: OutputFormat | undefined,
  bad: (message: string) => ImageApiError,
): OutputFormat {
  const format = sniffImageFormat(bytes);
  return checkFormat(format, format ? '' : describeNonImage(bytes), label, first, bad);
}

function checkFormat(
  format: OutputFormat | undefined,
  description: string,
  label: string,
  first: OutputFormat | undefined,
  bad: (message: string) => ImageApiError,
): OutputFormat {
  if (!format) throw bad(`${label} is not a PNG, JPEG or WebP image but ${description}, so nothing was saved.`);
  if (first !== undefined && format !== first) {
    throw bad(`${label} is ${formatName(format)} but image 1 is ${formatName(first)}; one answer must not mix formats, so nothing was saved.`);
  }
  return format;
}

function formatName(format: OutputFormat): string {
  return format === 'png' ? 'a PNG' : format === 'jpeg' ? 'a JPEG' : 'a WebP';
}
