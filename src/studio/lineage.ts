import * as path from 'node:path';
import { resolveStoredPath, type FolderLike, type HistoryEntry } from '../generation/history';
import type { EditedFrom, GalleryVersion, ImageRef } from '../shared/protocol';

/** What lineage needs besides the history: no `vscode`, so it is unit-tested as it is. */
export interface LineageContext {
  readonly entries: readonly HistoryEntry[];
  readonly folders: readonly FolderLike[];
  /** Whether a file that is no card (an original the user had, or a deleted image) exists. */
  readonly exists: (absolute: string) => boolean;
  /** The webview URI of a file, or undefined when it would not load. */
  readonly src: (absolute: string) => string | undefined;
}

/** Longest chain walked up, and most versions shown on one card: a hand-edited state cannot loop or flood. */
const maxDepth = 32;
const maxVersions = 16;

/**
 * The lineage of the gallery's images (issue #13), from the history's `parents`: which image an edit
 * was made from ("edited from hero.png"), and each image's versions — its ancestors oldest first, itself,
 * then the edits made of it. An edit's first parent is the image edited; the others were references and
 * are not versions. Pure: files are compared as resolved absolute paths.
 */
export class Lineage {
  /** Absolute path → the card showing it (the newest entry listing it). */
  private readonly cards = new Map<string, ImageRef>();
  /** Absolute path of an edit's image → the image it was edited from. */
  private readonly parentOf = new Map<string, string>();
  /** Absolute path → the images edited from it, newest first. */
  private readonly editsOf = new Map<string, string[]>();

  constructor(private readonly context: LineageContext) {
    for (const entry of context.entries) {
      const first = entry.parents?.[0];
      const parent = first === undefined ? undefined : resolveStoredPath(entry, first, context.folders);
      entry.files.forEach((file, index) => {
        const absolute = resolveStoredPath(entry, file, context.folders);
        if (absolute === undefined) return;
        if (!this.cards.has(absolute)) this.cards.set(absolute, { id: entry.id, index });
        if (parent === undefined || parent === absolute || this.parentOf.has(absolute)) return;
        this.parentOf.set(absolute, parent);
        const edits = this.editsOf.get(parent) ?? [];
        if (!edits.includes(absolute)) edits.push(absolute);
        this.editsOf.set(parent, edits);
      });
    }
  }

  /** The image an edit was made from; undefined for a generation from scratch. */
  editedFrom(entry: HistoryEntry): EditedFrom | undefined {
    const first = entry.parents?.[0];
    if (first === undefined) return undefined;
    const absolute = resolveStoredPath(entry, first, this.context.folders);
    const ref = absolute === undefined ? undefined : this.cards.get(absolute);
    const name = absolute !== undefined ? path.basename(absolute) : (first.split(/[\\/]/).pop() ?? first);
    return { name, ...(ref && { ref }), deleted: !ref && (absolute === undefined || !this.context.exists(absolute)) };
  }

  /**
   * The versions of image `index` of `entry`, oldest first, or undefined when it has none besides
   * itself (no parent, no edits).
   */
  versions(entry: HistoryEntry, index: number): GalleryVersion[] | undefined {
    const file = entry.files[index];
    const self = file === undefined ? undefined : resolveStoredPath(entry, file, this.context.folders);
    if (self === undefined) return undefined;
    const ancestors: string[] = [];
    const seen = new Set([self]);
    for (let at = this.parentOf.get(self); at !== undefined && !seen.has(at) && ancestors.length < maxDepth; at = this.parentOf.get(at)) {
      ancestors.unshift(at);
      seen.add(at);
    }
    const edits = (this.editsOf.get(self) ?? []).filter((edit) => !seen.has(edit));
    const chain = [...ancestors, self, ...edits];
    if (chain.length < 2) return undefined;
    // Too many: keep the ones nearest to this image.
    const at = ancestors.length;
    const start = Math.max(0, Math.min(at - Math.floor(maxVersions / 2), chain.length - maxVersions));
    return chain.slice(start, start + maxVersions).map((absolute) => this.version(absolute, absolute === self));
  }

  private version(absolute: string, current: boolean): GalleryVersion {
    const ref = this.cards.get(absolute);
    const present = ref !== undefined || this.context.exists(absolute);
    const src = present ? this.context.src(absolute) : undefined;
    return {
      name: path.basename(absolute),
      ...(src !== undefined && { src }),
      ...(ref && { ref }),
      ...(current && { current: true }),
      ...(!present && { deleted: true }),
    };
  }
}
