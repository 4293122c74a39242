import * as path from 'node:path';
import { plural } from '../shared/labels';
import { plainText, quoteValue } from '../shared/plainText';
import type { SaveTarget } from './engine';
import type { ImageUsage } from './types';

/**
 * `<setting> is "ten"; using 1 (allowed: whole numbers 1–10).`: one sentence naming the setting (the
 * host passes its name, such as `gptImage.count`), the unusable value (quoted short and plain: a
 * workspace's settings.json chose it, so it must not become a link in the warning) and the value used
 * instead.
 */
export function settingProblem(setting: string, value: unknown, fallback: string | number, allowed: string): string {
  const used = typeof fallback === 'string' ? `"${fallback}"` : String(fallback);
  return plainText(`${setting} is ${quoteValue(value)}; using ${used} (allowed: ${allowed}).`);
}

/**
 * Where the files went, for the "Saved" notification: `assets/` relative to the workspace folder, the
 * workspace folder itself, or the absolute folder a save dialog chose.
 */
export function describeSaveFolder(filePath: string, target: SaveTarget): string {
  const dir = path.dirname(filePath);
  if (target.kind === 'file') return dir;
  const relative = path.relative(target.workspaceRoot, dir).split(path.sep).join('/');
  return relative === '' ? 'the workspace folder' : `${relative}/`;
}

/**
 * `Saved 2 images to assets/`. The folder comes from a workspace's settings or is a picked path, either
 * of which may hold link syntax, so the sentence is made plain.
 */
export function savedImagesMessage(count: number, folder: string): string {
  return plainText(`Saved ${plural(count, 'image')} to ${folder}`);
}

/** `4260 tokens (60 in, 4200 out)`, or `not reported` when the server sent no usage. */
export function describeUsage(usage: ImageUsage | undefined): string {
  if (!usage?.total_tokens) return 'not reported';
  return `${usage.total_tokens} tokens (${usage.input_tokens ?? '?'} in, ${usage.output_tokens ?? '?'} out)`;
}
