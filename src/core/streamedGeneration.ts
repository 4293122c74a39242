import { ImageApiError } from './errors';
import type { ClientOptions } from './api/client';
import { generateImagesStreaming, type PartialImage } from './api/streamClient';
import type { GenerationRequest, GenerationResult, ImageUsage } from './types';

/** What a surface wants from streaming: how many previews, and where each goes (per image of n). */
export interface StreamPreviews {
  /** 1–3; 0 means no streaming. */
  readonly partialImages: number;
  readonly onPartial?: (imageIndex: number, partial: PartialImage) => void;
}

/** A result of n single streams: every stream's usage, for a cost per stream. */
export interface StreamedGeneration extends GenerationResult {
  /** One per image that arrived (undefined where that stream reported none). */
  readonly usages: readonly (ImageUsage | undefined)[];
  /** True when at least one image came as a stream (false: the relay ignored or refused streaming). */
  readonly streamed: boolean;
  /** Messages of streams that failed while others succeeded (their images are missing). */
  readonly failures: readonly string[];
}

/**
 * Streaming needs n = 1, so n images are n parallel single streams, each with its own previews
 * (issue #14). All streams are awaited: one that fails does not throw away the images of the others
 * (they are billed); only when none succeeded is the first failure thrown. One answer, one format:
 * images of different formats are refused, as for a normal answer.
 */
export async function generateStreamed(
  request: GenerationRequest,
  client: ClientOptions,
  previews: StreamPreviews,
  signal?: AbortSignal,
): Promise<StreamedGeneration> {
  const single: GenerationRequest = { ...request, n: 1 };
  const settled = await Promise.allSettled(
    Array.from({ length: request.n }, (_, imageIndex) =>
      generateImagesStreaming(single, client, { partialImages: previews.partialImages, onPartial: (partial) => previews.onPartial?.(imageIndex, partial) }, signal),
    ),
  );
  const done = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failed = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  if (done.length === 0) throw failed[0];
  // A cancelled run is cancelled, even if some streams had already finished.
  const cancelled = failed.find((error) => error instanceof ImageApiError && error.kind === 'cancelled');
  if (cancelled) throw cancelled;
  const outputFormat = done[0]!.outputFormat;
  if (done.some((result) => result.outputFormat !== outputFormat)) {
    throw new ImageApiError('badResponse', 'The parallel streams returned images of different formats, so none were saved.', { status: 200 });
  }
  const images = done.flatMap((result) => result.images.slice(0, 1));
  const requestIds = done.flatMap((result) => (result.requestId ? [result.requestId] : []));
  return {
    images,
    outputFormat,
    usages: done.map((result) => result.usage),
    ...sumUsage(done.map((result) => result.usage)),
    ...(requestIds[0] !== undefined && { requestId: requestIds[0] }),
    ...(done[0]!.created !== undefined && { created: done[0]!.created }),
    streamed: done.some((result) => result.streamed),
    failures: failed.map((error) => (error instanceof Error ? error.message : String(error))),
  };
}

/** The usages added up, for the history; undefined unless every stream reported one. */
function sumUsage(usages: readonly (ImageUsage | undefined)[]): { usage?: ImageUsage } {
  if (usages.length === 0 || usages.some((usage) => usage === undefined)) return {};
  const add = (pick: (usage: ImageUsage) => number | undefined): number | undefined =>
    usages.every((usage) => pick(usage!) !== undefined) ? usages.reduce((sum, usage) => sum + pick(usage!)!, 0) : undefined;
  const usage: { -readonly [K in keyof ImageUsage]: ImageUsage[K] } = {};
  const total = add((u) => u.total_tokens);
  const input = add((u) => u.input_tokens);
  const output = add((u) => u.output_tokens);
  if (total !== undefined) usage.total_tokens = total;
  if (input !== undefined) usage.input_tokens = input;
  if (output !== undefined) usage.output_tokens = output;
  const text = add((u) => u.input_tokens_details?.text_tokens);
  const image = add((u) => u.input_tokens_details?.image_tokens);
  if (text !== undefined || image !== undefined) {
    usage.input_tokens_details = { ...(text !== undefined && { text_tokens: text }), ...(image !== undefined && { image_tokens: image }) };
  }
  return Object.keys(usage).length > 0 ? { usage } : {};
}
