import type * as vscode from 'vscode';
import { readCostConfig } from '../common/costSettings';
import type { GenerationRunOptions } from '../generation/generationService';
import { randomBytes } from 'node:crypto';
import type { GenerationRequest } from '../core/types';
import type { OutputFormat } from '../shared/options';
import type { RunId, ToWebview } from '../shared/protocol';
import type { PreviewFiles } from './previewFiles';

/**
 * The Studio's streaming for one run (issue #14): `gptImage.previewImages` previews per image, each
 * written to a temporary file and posted as a `preview` message for its tile. Undefined (no
 * streaming) when the setting is 0 or there is nowhere to write. Writes are chained per run, so a
 * later preview never lands before an earlier one.
 */
export function streamPreviews(
  files: PreviewFiles | undefined,
  runId: RunId,
  count: number,
  resource: vscode.Uri | undefined,
  post: (message: ToWebview) => void,
  webviewUri: (uri: vscode.Uri) => string,
): GenerationRunOptions['previews'] {
  const partialImages = readCostConfig(resource).previewImages;
  if (!files || partialImages <= 0) return undefined;
  // Older runs' previews are no longer on screen once this run's tiles replace them.
  let chain: Promise<void> = files.deleteAllBut(runId);
  return {
    partialImages,
    onPartial: (imageIndex: number, bytes: Buffer, format: OutputFormat) => {
      chain = chain
        .then(() => files.write(runId, imageIndex, bytes, format))
        .then((uri) => post({ type: 'preview', runId, imageIndex, count, src: webviewUri(uri) }))
        .catch(() => undefined);
    },
  };
}

/** Previews of a generation the palette started, shown in the open Studio (issue #14). */
export function watchPreviews(
  files: PreviewFiles | undefined,
  request: GenerationRequest,
  resource: vscode.Uri | undefined,
  post: (message: ToWebview) => void,
  webviewUri: (uri: vscode.Uri) => string,
): { previews?: GenerationRunOptions['previews']; end: (failed: boolean) => void } {
  const runId = randomBytes(16).toString('hex');
  const previews = streamPreviews(files, runId, request.n, resource, post, webviewUri);
  if (!previews) return { end: () => undefined };
  post({ type: 'watch', runId, prompt: request.prompt, count: request.n, size: request.size });
  return { previews, end: (failed) => post({ type: 'previewEnd', runId, failed }) };
}
