import type { GalleryEntry, GalleryImage, ImageCommand } from '../shared/protocol';
import type { ImageOptions } from '../shared/options';
import { lineageNodes, variantButtons, type VariantCommand } from './variants';
import { backgroundLabel, formatLabel, imageCommandLabels, qualityPhrase, sizeLabel } from '../shared/labels';

/** Buttons on every card; the labels are the accessible names tests and users rely on. */
const cardButtons: readonly { readonly command: CardCommand; readonly label: string; readonly title: string }[] = [
  { command: 'insert', label: imageCommandLabels.insert, title: 'Insert a link at the cursor of the last active editor' },
  { command: 'open', label: imageCommandLabels.open, title: 'Open the image in an editor' },
  { command: 'reveal', label: imageCommandLabels.reveal, title: 'Reveal the file in the Explorer' },
  { command: 'copyLink', label: imageCommandLabels.copyLink, title: 'Copy a link to the image for the last active editor' },
  { command: 'reuse', label: 'Reuse Prompt', title: 'Put this prompt and its options back into the form' },
  // Issue #13: the Studio's edit mode (src/webview/editMode.ts).
  { command: 'edit', label: 'Edit', title: 'Edit this image: a prompt, references and an optional mask' },
  { command: 'useAsReference', label: 'Use as Reference', title: 'Add this image as a reference of the edit' },
];

export type CardCommand = ImageCommand | 'reuse' | 'edit' | 'useAsReference' | VariantCommand;

export interface CardAction {
  readonly command: CardCommand;
  readonly id: string;
  readonly index: number;
}

/** Reads the action of a clicked card button (event delegation keeps one listener for the gallery). */
export function cardActionOf(target: EventTarget | null): CardAction | undefined {
  const button = target instanceof Element ? target.closest<HTMLButtonElement>('button[data-command]') : null;
  if (!button) return undefined;
  const { command, id, index } = button.dataset;
  if (!command || !id || index === undefined) return undefined;
  return { command: command as CardAction['command'], id, index: Number(index) };
}

/** One card per image, newest generation first; at most `limit` cards. Returns how many there were. */
export function renderGallery(list: HTMLElement, entries: readonly GalleryEntry[], limit: number, now: number): number {
  const cards = entries.flatMap((entry) => entry.images.map((image, index) => ({ entry, image, index })));
  list.replaceChildren(...cards.slice(0, limit).map(({ entry, image, index }) => card(entry, image, index, now)));
  return cards.length;
}

function card(entry: GalleryEntry, image: GalleryImage, index: number, now: number): HTMLLIElement {
  const item = element('li', image.kept ? 'card kept' : 'card');
  item.dataset.entry = entry.id;
  item.dataset.index = String(index);
  const figure = element('figure');
  const frame = element('div', 'frame');
  const ratio = aspectRatio(entry.options.size);
  // CSSOM is allowed by the CSP; style attributes in markup are not.
  if (ratio) frame.style.aspectRatio = ratio;
  if (image.src) {
    const img = element('img');
    img.src = image.src;
    img.alt = entry.prompt;
    img.loading = 'lazy';
    img.decoding = 'async';
    img.title = image.label;
    if (image.fileUri) makeDraggable(img, image.fileUri, image.label);
    img.addEventListener('error', () => frame.replaceChildren(placeholder('Image not found')), { once: true });
    frame.append(img);
  } else {
    frame.append(placeholder('No preview: the file is outside the workspace'));
  }
  const caption = element('figcaption');
  const prompt = element('p', 'prompt', entry.prompt);
  prompt.title = entry.prompt;
  const count = entry.images.length > 1 ? ` · ${index + 1} of ${entry.images.length}` : '';
  caption.append(
    prompt,
    element('p', 'meta', optionsSummary(entry.options) + count),
    element('p', 'file', `${image.label} · ${relativeTime(entry.createdAt, now)}`),
  );
  // One cost per generation: on its first card (cards of one generation sit side by side).
  if (entry.cost && index === 0) {
    const cost = element('p', 'cost', entry.images.length > 1 ? `Cost ${entry.cost} for ${entry.images.length} images` : `Cost ${entry.cost}`);
    caption.append(cost);
  }
  caption.append(...lineageNodes(entry, image));
  figure.append(frame, caption);

  const actions = element('div', 'card-actions');
  actions.setAttribute('role', 'group');
  actions.setAttribute('aria-label', `Actions for ${image.label}`);
  for (const { command, label, title } of cardButtons) {
    const button = element('button', 'secondary small', label);
    button.type = 'button';
    button.title = title;
    button.dataset.command = command;
    button.dataset.id = entry.id;
    button.dataset.index = String(index);
    actions.append(button);
  }
  actions.append(...variantButtons(entry, image, index));
  item.append(figure, actions);
  return item;
}

/**
 * Issue #15 §3: dragging a card's image carries the file URI the host gave (`text/uri-list`) and its
 * label (`text/plain`), for the editor's drop providers. Whether the workbench passes a webview's drag
 * to the editor is reported in README "Drag and drop".
 */
function makeDraggable(img: HTMLImageElement, fileUri: string, label: string): void {
  img.draggable = true;
  img.addEventListener('dragstart', (event) => {
    if (!event.dataTransfer) return;
    event.dataTransfer.effectAllowed = 'copy';
    event.dataTransfer.setData('text/uri-list', fileUri);
    // Chromium replaces a file: URL a web page puts in text/uri-list with about:blank#blocked before the
    // workbench sees the drop (seen in code-server, test/e2e/galleryDrag.test.ts); the workbench's editor
    // drop reads VS Code's internal uri-list type first and passes it to drop providers as text/uri-list.
    event.dataTransfer.setData('application/vnd.code.uri-list', fileUri);
    event.dataTransfer.setData('text/plain', label);
  });
}

export function optionsSummary(options: ImageOptions): string {
  return [
    sizeLabel(options.size),
    qualityPhrase(options.quality),
    formatLabel(options.outputFormat),
    options.background === 'auto' ? undefined : backgroundLabel(options.background),
  ]
    .filter(Boolean)
    .join(' · ');
}

function placeholder(text: string): HTMLElement {
  const box = element('div', 'placeholder', text);
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', text);
  return box;
}

function aspectRatio(size: string): string | undefined {
  const match = /^(\d+)x(\d+)$/.exec(size);
  return match ? `${match[1]} / ${match[2]}` : undefined;
}

function relativeTime(then: number, now: number): string {
  const minutes = Math.round((now - then) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(then).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
