import * as path from 'node:path';
import { dirnameOf } from './paths';

/** One link target to rewrite: `text.slice(start, end)` becomes `replacement`. */
export interface LinkReplacement {
  readonly start: number;
  readonly end: number;
  readonly replacement: string;
}

export interface ReplaceLinksOptions {
  /** Absolute path of the document; undefined for an untitled one (links then resolve from `workspaceRoot`). */
  readonly documentPath?: string;
  /** Absolute path of the workspace folder: `/…` links and untitled documents resolve from it. */
  readonly workspaceRoot?: string;
  /** The image the links point at now. */
  readonly from: string;
  /** The image they should point at: in the same folder as `from` (an edit is saved beside its original). */
  readonly to: string;
}

/**
 * Where link targets stand, by syntax: Markdown inline `](target)` and `](<target>)`, reference
 * definitions `[id]: target`, HTML/JSX `src=`/`href=`/`poster=`, CSS `url(…)`, AsciiDoc `image::target[`,
 * reStructuredText `image:: target`, LaTeX `\includegraphics{target}`. Group 1 is the target.
 */
const targetPatterns: readonly RegExp[] = [
  /\]\(\s*<([^<>\n]+)>/dg,
  /\]\(\s*([^\s()<>]+(?:\([^\s()]*\)[^\s()]*)*)/dg,
  /^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?([^\s<>]+)>?/dgm,
  /\b(?:src|href|poster)\s*=\s*"([^"\n]+)"/dgi,
  /\b(?:src|href|poster)\s*=\s*'([^'\n]+)'/dgi,
  /\burl\(\s*["']?([^"')\n]+?)["']?\s*\)/dgi,
  /\bimage::?([^\s[\]]+)\[/dg,
  /\bimage::[ \t]+(\S+)/dg,
  /\\includegraphics(?:\[[^\]\n]*\])?\{([^}\n]+)\}/dg,
];

/**
 * The rewrites that make every link to `from` in `text` point at `to` (issue #13, Replace Link). A
 * target counts when, without its `#fragment` or `?query` and percent-decoded, it resolves to `from`
 * (relative to the document's folder, or to the workspace root for `/…`). Only the file name changes,
 * written the way the old one was (percent-encoded if it was), so `./`, folders, fragments and the
 * syntax around stay exactly as the author wrote them. Sorted, never overlapping.
 */
export function findLinkReplacements(text: string, options: ReplaceLinksOptions): LinkReplacement[] {
  const from = path.resolve(options.from);
  const newName = path.basename(options.to);
  const base = options.documentPath !== undefined ? dirnameOf(options.documentPath) : options.workspaceRoot;
  const found = new Map<number, LinkReplacement>();
  for (const pattern of targetPatterns) {
    for (const match of text.matchAll(pattern)) {
      const target = match[1];
      const start = match.indices?.[1]?.[0];
      if (target === undefined || start === undefined) continue;
      const rewrite = rewriteTarget(target, from, newName, base, options.workspaceRoot);
      if (rewrite === undefined || found.has(start)) continue;
      found.set(start, { start: start + rewrite.offset, end: start + rewrite.offset + rewrite.length, replacement: rewrite.replacement });
    }
  }
  return nonOverlapping([...found.values()]);
}

/**
 * The replacements sorted by start, each one that overlaps an earlier kept one dropped (the earliest
 * start wins). Compared with the last one kept, not the last one seen: of [0,10], [5,7], [8,12] only the
 * first stays.
 */
export function nonOverlapping(replacements: readonly LinkReplacement[]): LinkReplacement[] {
  const kept: LinkReplacement[] = [];
  let end = -Infinity;
  for (const item of [...replacements].sort((a, b) => a.start - b.start)) {
    if (item.start < end) continue;
    kept.push(item);
    end = item.end;
  }
  return kept;
}

interface Rewrite {
  /** Where the file name starts within the target, and its length. */
  readonly offset: number;
  readonly length: number;
  readonly replacement: string;
}

function rewriteTarget(target: string, from: string, newName: string, base: string | undefined, root: string | undefined): Rewrite | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) && !/^[a-z]:[\\/]/i.test(target)) return undefined; // https:, data: …
  const pathPart = target.replace(/[?#].*$/s, '');
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart);
  } catch {
    decoded = pathPart;
  }
  const from0 = decoded.startsWith('/') && root !== undefined ? root : base;
  if (from0 === undefined) return undefined;
  const resolved = path.isAbsolute(decoded) && !decoded.startsWith('/') ? decoded : path.join(from0, ...decoded.split('/'));
  if (path.resolve(resolved) !== from) return undefined;
  const slash = pathPart.lastIndexOf('/');
  const rawName = pathPart.slice(slash + 1);
  const encoded = rawName !== safeDecode(rawName);
  return { offset: slash + 1, length: rawName.length, replacement: encoded ? encodeURIComponent(newName) : newName };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
