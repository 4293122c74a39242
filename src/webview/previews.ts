import type { RunId } from '../shared/protocol';
import { ui } from './dom';
import { element } from './gallery';

/**
 * The tiles of the run in flight (issue #14): one per image, each a placeholder until its first
 * streamed preview arrives, then the latest preview. The result replaces them with gallery cards; a
 * failure keeps the last preview visible (it is not saved) with a note and Try Again.
 */
let currentRun: RunId | undefined;
let tiles: HTMLElement[] = [];

export function startPreviews(runId: RunId, count: number, size: string, prompt: string): void {
  currentRun = runId;
  const ratio = /^(\d+)x(\d+)$/.exec(size);
  tiles = Array.from({ length: Math.max(1, Math.min(count, 10)) }, (_, index) => {
    const frame = element('div', 'frame');
    if (ratio) frame.style.aspectRatio = `${ratio[1]} / ${ratio[2]}`;
    frame.append(placeholder(count > 1 ? `Generating image ${index + 1} of ${count}…` : 'Generating…'));
    frame.title = prompt;
    return frame;
  });
  ui.previewList.replaceChildren(
    ...tiles.map((frame) => {
      const item = element('li', 'card preview-card');
      item.append(frame);
      return item;
    }),
  );
  ui.previewNote.replaceChildren();
  ui.previews.hidden = false;
}

/** A preview for tile `imageIndex`; ignored for a run that is not the one shown. */
export function showPreview(runId: RunId, imageIndex: number, src: string, prompt: string): void {
  if (runId !== currentRun) return;
  const frame = tiles[imageIndex];
  if (!frame) return;
  const img = element('img');
  img.src = src;
  img.alt = `Preview: ${prompt}`;
  img.decoding = 'async';
  img.dataset.preview = 'true';
  frame.replaceChildren(img);
}

export function hasVisiblePreview(): boolean {
  return tiles.some((frame) => frame.querySelector('img') !== null);
}

/** The run ended: its tiles go, except after a failure with a preview on screen. */
export function endPreviews(runId: RunId, failed: boolean): void {
  if (runId !== currentRun) return;
  if (failed && hasVisiblePreview()) {
    const note = element('p', 'preview-note-text', 'The generation did not finish: the last preview is shown but was not saved.');
    const again = element('button', 'secondary small', 'Try Again');
    again.type = 'button';
    again.dataset.tryAgain = 'true';
    ui.previewNote.replaceChildren(note, again);
    return;
  }
  clearPreviews();
}

export function clearPreviews(): void {
  currentRun = undefined;
  tiles = [];
  ui.previewList.replaceChildren();
  ui.previewNote.replaceChildren();
  ui.previews.hidden = true;
}

function placeholder(text: string): HTMLElement {
  const box = element('div', 'placeholder', text);
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', text);
  return box;
}
