import * as path from 'node:path';
import * as vscode from 'vscode';
import { showError } from '../common/errorReporting';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import type { SaveTarget } from '../core/engine';
import { markdownImageDestination } from '../core/linkFormat';
import { ImageApiError } from '../core/errors';
import { findPlaceholders, type Placeholder } from '../core/placeholders';
import { addCosts, formatCost } from '../core/pricing';
import type { GenerationRequest } from '../core/types';
import type { GenerationService } from '../generation/generationService';
import { chooseSaveTarget } from '../generation/saveTarget';
import { plural } from '../shared/labels';
import { plainText } from '../shared/plainText';
import { revealImage } from './imageActions';
import { InsertAnchor } from './insertAnchor';
import { linkOptions } from './insertLinks';

/** At most this many placeholders generate at once: a relay's rate limit, and the user's attention. */
export const placeholderConcurrency = 3;

export interface FillResult {
  readonly filled: number;
  readonly failed: number;
  /** Generated, but the placeholder was edited (or its document closed) meanwhile: left alone. */
  readonly skipped: number;
}

/**
 * Fills placeholders of one document (issue #15 §2): each generates one image, with its own progress
 * notification and Cancel, at most {@link placeholderConcurrency} at a time; the link target is then
 * replaced in place by the saved file's relative path (one edit, one undo). A placeholder whose text
 * changed meanwhile is left alone; a failure leaves it and says why. Running ones are tracked so a
 * second click does not start the same placeholder twice.
 */
export class PlaceholderRunner {
  private readonly running = new Map<string, InsertAnchor[]>();
  /** Fills are applied one at a time: checking a placeholder and editing it must not interleave with another fill. */
  private fills: Promise<unknown> = Promise.resolve();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly generation: GenerationService,
    private readonly log: Log,
  ) {}

  dispose(): void {
    this.changed.dispose();
    for (const anchors of this.running.values()) for (const anchor of anchors) anchor.dispose();
  }

  /** True while the placeholder starting at `offset` of `document` is being generated. */
  isRunning(document: vscode.TextDocument, offset: number): boolean {
    return this.runningOffsets(document).has(offset);
  }

  /** Where the placeholders being generated start now: one lookup per placeholder, not a scan of every job. */
  runningOffsets(document: vscode.TextDocument): ReadonlySet<number> {
    return new Set((this.running.get(document.uri.toString()) ?? []).map((anchor) => document.offsetAt(anchor.range.start)));
  }

  /** Generates the placeholders of `document` starting at `only` (all of them when undefined). */
  async fill(document: vscode.TextDocument, only?: readonly number[], confirmed = false): Promise<FillResult | undefined> {
    const running = this.runningOffsets(document);
    const all = findPlaceholders(document.getText()).filter((p) => !running.has(p.start));
    const wanted = only && new Set(only);
    const chosen = wanted ? all.filter((p) => wanted.has(p.start)) : all;
    if (chosen.length === 0) {
      void notify('info', 'GPT Image: no image placeholders to generate here. Write ![a description]() or ![a description](gpt-image: "1536x1024 high").');
      return undefined;
    }
    const problems = chosen.filter((p) => p.problem);
    for (const p of problems) void notify('warning', `GPT Image: ${quote(p.prompt)} was not generated: ${p.problem}.`);
    const jobs: { placeholder: Placeholder; request: GenerationRequest }[] = [];
    for (const placeholder of chosen.filter((p) => !p.problem)) {
      try {
        jobs.push({ placeholder, request: this.generation.buildRequest(placeholder.prompt, { ...placeholder.options, n: 1 }, document.uri) });
      } catch (error) {
        void showError(error, this.log, { action: `Placeholder ${quote(placeholder.prompt)}` });
      }
    }
    if (jobs.length === 0) return { filled: 0, failed: chosen.length, skipped: 0 };
    if (jobs.length > 1 && !confirmed && !(await this.confirmBatch(document, jobs.map((job) => job.request)))) return undefined;
    const formats = new Set(jobs.map((job) => job.request.outputFormat ?? 'png'));
    const target = await chooseSaveTarget(document, formats.size === 1 ? [...formats][0] : 'png');
    if (!target) return undefined;

    // The text may have changed while the user confirmed: only placeholders still exactly as parsed go on.
    const current = document.getText();
    const originals = jobs.map(({ placeholder }) => current.slice(placeholder.start, placeholder.end));
    const anchors = jobs.map(({ placeholder }) => new InsertAnchor(document, selectionOf(document, placeholder), 'cursor'));
    const key = document.uri.toString();
    this.running.set(key, [...(this.running.get(key) ?? []), ...anchors]);
    this.changed.fire();
    const results: ('filled' | 'failed' | 'skipped')[] = [];
    let next = 0;
    // A cancel, or a failure that is not about one prompt (a wrong key, no quota, the network), stops
    // the jobs not started yet: 50 placeholders must not mean 50 Cancel clicks or 50 failing requests.
    let stop: string | undefined;
    const worker = async (): Promise<void> => {
      while (next < jobs.length && stop === undefined) {
        const k = next++;
        // originals and anchors are mapped from jobs (the same length), and k < jobs.length.
        const anchor = anchors[k]!;
        try {
          const result = await this.runOne(document, jobs[k]!, originals[k]!, anchor, target, `${k + 1} of ${jobs.length}`, jobs.length > 1, confirmed);
          if (typeof result === 'object') {
            stop ??= result.stop;
            results.push('failed');
          } else results.push(result);
        } finally {
          anchor.dispose();
          this.running.set(key, (this.running.get(key) ?? []).filter((running) => running !== anchor));
          this.changed.fire();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(placeholderConcurrency, jobs.length) }, worker));
    const notStarted = jobs.slice(next);
    for (const anchor of anchors.slice(next)) anchor.dispose();
    if (notStarted.length > 0) {
      this.running.set(key, (this.running.get(key) ?? []).filter((anchor) => !anchors.slice(next).includes(anchor)));
      this.changed.fire();
      results.push(...notStarted.map(() => 'failed' as const));
      void notify('warning', `GPT Image: ${plural(notStarted.length, 'placeholder')} of ${path.basename(document.fileName)} not generated because ${stop}; left as they were. Run Generate Missing Images again to go on.`);
    }
    const count = (what: string): number => results.filter((result) => result === what).length;
    return { filled: count('filled'), failed: count('failed') + (chosen.length - jobs.length), skipped: count('skipped') };
  }

  private async confirmBatch(document: vscode.TextDocument, requests: readonly GenerationRequest[]): Promise<boolean> {
    const cost = formatCost(addCosts(requests.map((request) => this.generation.estimate(request, document.uri))));
    const go = `Generate ${plural(requests.length, 'Image')}`;
    const picked = await notify('info', `Generate ${plural(requests.length, 'image')} for ${path.basename(document.fileName)}?`, [go], {
      modal: true,
      detail: `Estimated cost: ${cost}. Each placeholder is one request with its own progress and Cancel; ${placeholderConcurrency} run at a time.`,
    });
    return picked === go;
  }

  private async runOne(
    document: vscode.TextDocument,
    { placeholder, request }: { placeholder: Placeholder; request: GenerationRequest },
    original: string,
    anchor: InsertAnchor,
    target: SaveTarget,
    position: string,
    batch: boolean,
    confirmed: boolean,
  ): Promise<'filled' | 'failed' | 'skipped' | { readonly stop: string }> {
    const label = quote(placeholder.prompt);
    let files: readonly vscode.Uri[];
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'GPT Image', cancellable: true },
        (progress, token) => {
          progress.report({ message: plainText(`Generating image ${position}: ${label}…`) });
          const controller = new AbortController();
          const subscription = token.onCancellationRequested(() => controller.abort());
          // A batch was confirmed as a whole; a single placeholder gets the usual cost confirmation.
          return this.generation
            .generate(request, target, controller.signal, document.uri, undefined, { confirmCost: !batch && !confirmed })
            .finally(() => subscription.dispose());
        },
      );
      files = outcome.files;
    } catch (error) {
      void showError(error, this.log, { action: `Placeholder ${label}` });
      const kind = error instanceof ImageApiError ? error.kind : undefined;
      if (!batch || kind === 'moderation' || kind === 'invalidRequest' || kind === 'validation') return 'failed';
      return { stop: kind === 'cancelled' ? 'one was cancelled' : `one failed (${kind ?? 'unexpected error'})` };
    }
    const [file] = files;
    if (file === undefined) return 'failed'; // not reached: an outcome has at least one file
    const fill = this.fills.then(() => this.applyFill(document, placeholder, original, anchor, file, label));
    this.fills = fill.catch(() => undefined);
    return fill;
  }

  /** Checks the placeholder is as it was and replaces its target with the image's path: one edit, one undo. */
  private async applyFill(
    document: vscode.TextDocument,
    placeholder: Placeholder,
    original: string,
    anchor: InsertAnchor,
    file: vscode.Uri,
    label: string,
  ): Promise<'filled' | 'skipped'> {
    const range = anchor.range;
    if (document.isClosed || document.getText(range) !== original) {
      const where = vscode.workspace.asRelativePath(file);
      void notify('warning', `GPT Image: the placeholder ${label} changed while its image was generated, so it was left alone; the image is saved as ${where}.`, [
        'Reveal in Explorer',
      ]).then((picked) => (picked ? revealImage(file) : undefined));
      this.log.info(`Placeholder ${label}: left alone, its text is now ${JSON.stringify(document.isClosed ? '(closed)' : document.getText(range).slice(0, 200))}`);
      return 'skipped';
    }
    const destination = markdownImageDestination(linkOptions(document, file));
    const start = document.offsetAt(range.start);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(
      document.uri,
      new vscode.Range(document.positionAt(start + placeholder.targetStart - placeholder.start), document.positionAt(start + placeholder.targetEnd - placeholder.start)),
      destination,
    );
    if (!(await vscode.workspace.applyEdit(edit))) {
      void notify('warning', `GPT Image: the document refused the edit; the image for ${label} is saved as ${vscode.workspace.asRelativePath(file)}.`);
      return 'skipped';
    }
    return 'filled';
  }
}

function selectionOf(document: vscode.TextDocument, placeholder: Placeholder): vscode.Selection {
  return new vscode.Selection(document.positionAt(placeholder.start), document.positionAt(placeholder.end));
}

/** `"A lighthouse at du…"`: short and plain, for messages. */
export function quote(prompt: string): string {
  const chars = Array.from(prompt);
  return `"${plainText(chars.length > 40 ? `${chars.slice(0, 39).join('')}…` : prompt)}"`;
}
