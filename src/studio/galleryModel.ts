import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { readConfig, type GptImageConfig } from '../common/config';
import { resolveStoredPath, type FolderLike, type HistoryEntry } from '../generation/history';
import { readCostConfig } from '../common/costSettings';
import { settingDefaults } from '../common/settingDefaults';
import { pricingFor } from '../core/pricing';
import { describeCost } from '../generation/costGuard';
import {
  isCount,
  isOneOf,
  isSizeShape,
  type GalleryEntry,
  type StudioCostInfo,
  type StudioDefaults,
} from '../shared/protocol';
import { imageRootPaths } from './resourceRoots';
import { Lineage } from './lineage';
import { backgrounds, maxCount, outputFormats, qualities, type ImageOptions } from '../shared/options';
import { acceptsCustomSize } from '../shared/optionRules';

/**
 * media/ (page script, stylesheet, icons), the image folders of {@link imageRootPaths}, and the
 * extension's own folder of streamed previews (`previewDir`, outside every workspace: issue #14).
 */
export function studioResourceRoots(extensionUri: vscode.Uri, entries: readonly HistoryEntry[], previewDir?: vscode.Uri): vscode.Uri[] {
  const folders = (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === 'file')
    .map((folder) => ({ name: folder.name, fsPath: folder.uri.fsPath, assetsFolder: readConfig(folder.uri).assetsFolder }));
  return [
    vscode.Uri.joinPath(extensionUri, 'media'),
    ...(previewDir ? [previewDir] : []),
    ...imageRootPaths(folders, entries).map((dir) => vscode.Uri.file(dir)),
  ];
}

/** Whole seconds since `startedAt` (epoch ms), for the progress line. */
export function elapsedSince(startedAt: number): number {
  return Math.max(0, Math.floor((Date.now() - startedAt) / 1000));
}

/** Same URIs in the same order. */
export function sameUris(a: readonly vscode.Uri[], b: readonly vscode.Uri[]): boolean {
  return a.length === b.length && a.every((uri, i) => uri.toString() === b[i]?.toString());
}

/**
 * What the webview shows of an entry. `src` turns a file into a webview URI, or undefined when it lies
 * outside the resource roots (it would not load anyway; the webview shows a placeholder).
 */
export function galleryEntryFor(
  entry: HistoryEntry,
  open: readonly FolderLike[],
  src: (file: vscode.Uri) => string | undefined,
  /** The gallery's lineage (issue #13); without it, no "edited from" and no versions. */
  lineage?: Lineage,
): GalleryEntry {
  const editedFrom = lineage?.editedFrom(entry);
  return {
    id: entry.id,
    prompt: entry.prompt,
    options: entry.options,
    model: entry.model,
    createdAt: entry.createdAt,
    images: entry.files.map((file, index) => {
      const absolute = resolveStoredPath(entry, file, open);
      const uri = absolute ? vscode.Uri.file(absolute) : undefined;
      const versions = lineage?.versions(entry, index);
      const webviewSrc = uri && src(uri);
      return {
        src: webviewSrc,
        label: uri ? vscode.workspace.asRelativePath(uri) : file,
        ...(uri && webviewSrc && { fileUri: uri.toString() }),
        ...(entry.kept?.includes(file) && { kept: true }),
        ...(versions && { versions }),
      };
    }),
    ...(entry.cost && { cost: describeCost(entry.cost) }),
    ...(editedFrom && { editedFrom }),
    // Keep / Discard the others: several images, recorded in this workspace (not a repository's history file).
    ...(entry.files.length > 1 && !('source' in entry) && { variants: true }),
  };
}

/** The lineage of a gallery's entries; `src` as for {@link galleryEntryFor}. Files that are no card are stat'ed once each. */
export function galleryLineage(entries: readonly HistoryEntry[], open: readonly FolderLike[], src: (file: vscode.Uri) => string | undefined): Lineage {
  const known = new Map<string, boolean>();
  const exists = (absolute: string): boolean => {
    let found = known.get(absolute);
    if (found === undefined) known.set(absolute, (found = fs.existsSync(absolute)));
    return found;
  };
  return new Lineage({ entries, folders: open, exists, src: (absolute) => src(vscode.Uri.file(absolute)) });
}

/** The rates and thresholds the form's live estimate needs (prices from user settings only). */
export function studioCostInfo(model: string, resource?: vscode.Uri): StudioCostInfo {
  const config = readCostConfig(resource);
  return { rates: pricingFor(model, config.pricing).rates, previewImages: config.previewImages, confirmAboveUsd: config.confirmAboveUsd };
}

/**
 * The form's starting values from settings. A value the form cannot show is replaced by its default
 * and listed in `problems` (naming the setting), as the palette does for the values it cannot use.
 */
export function studioDefaults(config: GptImageConfig): { defaults: StudioDefaults; problems: string[] } {
  const problems: string[] = [];
  const replaced = <T>(key: string, value: unknown, fallback: T, allowed: string): T => {
    problems.push(`gptImage.${key} is ${JSON.stringify(value)}; the Studio uses ${JSON.stringify(fallback)} (allowed: ${allowed}).`);
    return fallback;
  };
  const oneOf = <T extends string>(key: string, value: string, allowed: readonly T[], fallback: T): T =>
    isOneOf(value, allowed) ? value : replaced(key, value, fallback, allowed.join(', '));
  const options: ImageOptions = {
    size: isSizeShape(config.size) ? config.size : replaced('size', config.size, settingDefaults.size, 'auto or WIDTHxHEIGHT'),
    quality: oneOf('quality', config.quality, qualities, settingDefaults.quality),
    n: isCount(config.count) ? config.count : replaced('count', config.count, settingDefaults.count, `whole numbers 1–${maxCount}`),
    outputFormat: oneOf('outputFormat', config.outputFormat, outputFormats, settingDefaults.outputFormat),
    background: oneOf('background', config.background, backgrounds, settingDefaults.background),
  };
  return { defaults: { model: config.model, customSizes: acceptsCustomSize(config.model), options }, problems };
}
