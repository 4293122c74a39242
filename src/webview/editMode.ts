import { maxEditSources, sameRef, type EditFromWebview, type EditImageInfo, type EditImageRef } from '../shared/editProtocol';
import { savedEditOf, withoutMissing, type SavedEdit } from '../shared/editState';
import type { RunId } from '../shared/protocol';
import type { ImageOptions } from '../shared/options';
import { element } from './gallery';
import { MaskBrush } from './maskBrush';
import { setStatus } from './feedback';
import { vscode } from './vscodeApi';

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`Image Studio: #${id} is missing from the page`);
  return node as T;
}

/**
 * The Studio's edit mode (issue #13): the image edited shown large with the mask brush over it, the
 * reference images (the first of the list is the one edited; reorder, remove, add from the gallery or
 * the workspace), and the composer's prompt and options. Send posts an `edit` message; the run then goes
 * like a generation (progress, Cancel, result card).
 */
export class EditMode {
  private readonly section = byId('edit-mode');
  private readonly source = byId<HTMLImageElement>('edit-source');
  private readonly frame = byId('mask-frame');
  private readonly list = byId<HTMLUListElement>('edit-images');
  private readonly send = byId<HTMLButtonElement>('send-edit');
  private readonly generate = byId<HTMLButtonElement>('generate');
  private readonly brush: MaskBrush;
  /** The first is edited; the others are references. */
  private images: EditImageInfo[] = [];
  /** References chosen with Use as Reference before an image was opened for editing. */
  private pending: EditImageInfo[] = [];
  /** The last state saved left the mask out (too big): said once. */
  private maskNotKept = false;

  /** `onChange` runs whenever what {@link snapshot} returns may have changed (the page saves its state then). */
  constructor(private readonly onChange: () => void = () => undefined) {
    this.brush = new MaskBrush(
      {
        frame: this.frame,
        canvas: byId('mask-canvas'),
        cursor: byId('mask-cursor'),
        brush: byId('mask-brush'),
        eraser: byId('mask-eraser'),
        size: byId('brush-size'),
        sizeValue: byId('brush-size-value'),
        undo: byId('mask-undo'),
        redo: byId('mask-redo'),
        clear: byId('mask-clear'),
        invert: byId('mask-invert'),
        state: byId('mask-state'),
      },
      () => this.onChange(),
    );
    byId('edit-back').addEventListener('click', () => this.close());
    byId('add-reference').addEventListener('click', () => vscode.postMessage({ type: 'pickReferences' }));
    this.list.addEventListener('click', (event) => this.listAction(event));
    this.list.addEventListener('keydown', (event) => this.listKey(event));
    this.section.addEventListener('keydown', (event) => this.undoKeys(event));
    this.source.addEventListener('error', () => this.frame.classList.add('no-image'));
    this.source.addEventListener('load', () => this.frame.classList.remove('no-image'));
  }

  isActive(): boolean {
    return !this.section.hidden;
  }

  /** Edit on a card: that image becomes the one edited; earlier references stay. */
  open(image: EditImageInfo): void {
    const others = [...this.images.slice(1), ...this.pending].filter((other) => !sameRef(other.ref, image.ref));
    this.pending = [];
    this.images = [image, ...unique(others)].slice(0, maxEditSources);
    this.show();
    this.section.scrollIntoView({ block: 'start' });
    byId('edit-heading').focus();
    setStatus(`Editing ${image.label}: paint a mask over the area to change (optional), describe the change, then Send.`);
  }

  /** Reuse Prompt on an edit's card: edit mode again with the images that edit was made from (those still there). */
  reopen(images: readonly EditImageInfo[], missing: number): void {
    const [first] = images;
    if (first === undefined) {
      setStatus(`Prompt and options of this edit copied into the form; the image${missing === 1 ? ' it was made from is' : 's it was made from are'} gone, so Generate makes a new image from them.`);
      return;
    }
    this.pending = [];
    this.images = unique(images).slice(0, maxEditSources);
    this.show();
    this.section.scrollIntoView({ block: 'start' });
    byId('edit-heading').focus();
    const references = this.images.length - 1;
    const gone = missing > 0 ? ` ${missing} of its images no longer exist${missing === 1 ? 's' : ''} and ${missing === 1 ? 'is' : 'are'} left out.` : '';
    setStatus(
      `Editing ${first.label} again with the prompt and options of that edit${references > 0 ? ` and ${references} reference${references === 1 ? '' : 's'}` : ''}.${gone} Its mask is not brought back: paint one if needed.`,
    );
  }

  /** Edit mode as the webview state kept it (the page was reloaded: panel hidden and shown, window reloaded). */
  restore(saved: SavedEdit): void {
    this.images = [...saved.images]; // a SavedEdit holds 1–16 images
    this.show();
    if (saved.mask) this.brush.restore(saved.mask);
    setStatus(`Editing ${saved.images[0]!.label} again${saved.mask ? ', with its mask' : ''}: the edit mode was restored.`);
  }

  /** Drops gallery images whose entries are gone (after the gallery arrived); closes when none is left. */
  dropMissing(hasEntry: (id: string) => boolean): void {
    if (!this.isActive()) return;
    const current = savedEditOf(this.images, this.brush.saved()).edit;
    if (!current) return;
    const kept = withoutMissing(current, hasEntry);
    if (kept?.images.length === this.images.length) return;
    if (!kept) {
      this.close();
      setStatus('The images of the edit are gone from the gallery; back to generating new images.');
      return;
    }
    this.restore(kept); // withoutMissing keeps at least one image or returns undefined
    setStatus(`Some images of the edit are gone from the gallery and were left out; editing ${kept.images[0]!.label}.`);
  }

  /** What the webview state keeps of edit mode (undefined when it is closed). */
  snapshot(): SavedEdit | undefined {
    if (!this.isActive()) return undefined;
    const { edit, maskDropped } = savedEditOf(this.images, this.brush.saved());
    if (maskDropped && !this.maskNotKept) setStatus('This mask is too detailed to keep if the Studio is hidden or reloaded; send the edit before closing it.');
    this.maskNotKept = maskDropped;
    return edit;
  }

  private show(): void {
    this.section.hidden = false;
    this.send.hidden = false;
    this.generate.hidden = true;
    document.body.classList.add('editing');
    this.showSource();
  }

  /** Use as Reference (a card) or a file picked in the workspace. */
  addReference(image: EditImageInfo): void {
    if (!this.isActive()) {
      if (!this.pending.some((other) => sameRef(other.ref, image.ref))) this.pending.push(image);
      this.pending = this.pending.slice(-(maxEditSources - 1));
      setStatus(`${image.label} will be a reference: now click Edit on the image to change (${this.pending.length} reference${this.pending.length === 1 ? '' : 's'} waiting).`);
      return;
    }
    if (this.images.some((other) => sameRef(other.ref, image.ref))) {
      setStatus(`${image.label} is already part of this edit.`);
      return;
    }
    if (this.images.length >= maxEditSources) {
      setStatus(`An edit takes at most ${maxEditSources} images; remove one first.`);
      return;
    }
    this.images.push(image);
    this.renderList();
    this.onChange();
    setStatus(`Added ${image.label} as a reference.`);
  }

  close(): void {
    this.section.hidden = true;
    this.send.hidden = true;
    this.generate.hidden = false;
    document.body.classList.remove('editing');
    this.images = [];
    this.onChange();
    setStatus('Back to generating new images.');
    this.generate.focus();
  }

  /** The message Send posts, or undefined when there is nothing to edit. */
  message(runId: RunId, prompt: string, options: ImageOptions): EditFromWebview | undefined {
    if (this.images.length === 0) return undefined;
    const mask = this.brush.paint();
    const images: EditImageRef[] = this.images.map((image) => image.ref);
    return { type: 'edit', runId, prompt, options, images, ...(mask && { mask }) };
  }

  /** Mirrors the Generate button while a run goes (Send becomes Cancel). */
  syncRunning(running: boolean): void {
    this.send.textContent = running ? 'Cancel' : 'Send';
    this.send.className = running ? 'secondary' : 'primary';
    this.send.title = running ? 'Cancel the edit (Escape). Nothing is saved.' : 'Send the edit (Ctrl+Enter)';
  }

  private showSource(): void {
    const [first] = this.images;
    if (!first) return;
    this.frame.classList.toggle('no-image', !first.src);
    if (first.src) this.source.src = first.src;
    else this.source.removeAttribute('src');
    this.source.alt = `Image to edit: ${first.label}`;
    this.frame.style.aspectRatio = `${first.width} / ${first.height}`;
    this.frame.style.setProperty('--image-ratio', String(first.width / first.height));
    byId('edit-size').textContent = `${first.label} · ${first.width}×${first.height} px`;
    this.brush.reset(first.width, first.height);
    this.renderList();
    this.onChange();
  }

  private renderList(): void {
    const count = this.images.length;
    this.list.replaceChildren(
      ...this.images.map((image, index) => {
        const item = element('li', index === 0 ? 'edit-image edited' : 'edit-image');
        item.tabIndex = 0;
        item.dataset.index = String(index);
        item.setAttribute('aria-label', `${index === 0 ? 'Edited image' : `Reference ${index}`}: ${image.label}. Alt+Arrow keys move it.`);
        const thumb = element('div', 'thumb');
        if (image.src) {
          const img = element('img');
          img.src = image.src;
          img.alt = '';
          thumb.append(img);
        } else {
          thumb.append(element('span', 'thumb-missing', 'No preview'));
        }
        const caption = element('span', 'edit-image-label', `${index === 0 ? 'Edited · ' : ''}${image.label}`);
        caption.title = image.label;
        const actions = element('div', 'edit-image-actions');
        actions.append(
          button('←', 'earlier', index, `Move ${image.label} earlier${index === 1 ? ' (it becomes the image edited)' : ''}`, index === 0),
          button('→', 'later', index, `Move ${image.label} later`, index === count - 1),
          button('✕', 'remove', index, `Remove ${image.label} from the edit`, false),
        );
        item.append(thumb, caption, actions);
        return item;
      }),
    );
  }

  private listAction(event: MouseEvent): void {
    const target = event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button[data-move]') : null;
    if (!target) return;
    this.move(Number(target.dataset.index), target.dataset.move as 'earlier' | 'later' | 'remove');
  }

  private listKey(event: KeyboardEvent): void {
    const item = event.target instanceof HTMLElement && event.target.matches('li.edit-image') ? event.target : undefined;
    if (!item || !event.altKey) return;
    const index = Number(item.dataset.index);
    if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') this.move(index, 'earlier');
    else if (event.key === 'ArrowRight' || event.key === 'ArrowDown') this.move(index, 'later');
    else return;
    event.preventDefault();
  }

  private move(index: number, how: 'earlier' | 'later' | 'remove'): void {
    const image = this.images[index];
    if (!Number.isInteger(index) || image === undefined) return;
    this.images.splice(index, 1);
    if (how === 'remove') {
      const [first] = this.images;
      if (first === undefined) return this.close();
      if (index === 0) this.showSource();
      else {
        this.renderList();
        this.onChange();
      }
      setStatus(`Removed ${image.label} from the edit${index === 0 ? `; ${first.label} is edited now and the mask was cleared` : ''}.`);
      this.focusItem(Math.min(index, this.images.length - 1));
      return;
    }
    const to = Math.max(0, Math.min(this.images.length, how === 'earlier' ? index - 1 : index + 1));
    this.images.splice(to, 0, image); // so images[0] exists below
    if (index === 0 || to === 0) {
      this.showSource();
      setStatus(`${this.images[0]!.label} is the image edited now; the mask was cleared (it belongs to the image it was painted on).`);
    } else {
      this.renderList();
      this.onChange();
    }
    this.focusItem(to);
  }

  private focusItem(index: number): void {
    this.list.querySelector<HTMLElement>(`li[data-index="${index}"]`)?.focus();
  }

  /** Ctrl/Cmd+Z, Ctrl+Shift+Z, Ctrl+Y undo and redo the mask (text fields keep their own undo). */
  private undoKeys(event: KeyboardEvent): void {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.type !== 'range') return;
    if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === 'z' && !event.shiftKey) this.brush.undo();
    else if ((key === 'z' && event.shiftKey) || key === 'y') this.brush.redo();
    else return;
    event.preventDefault();
  }
}

function unique(images: readonly EditImageInfo[]): EditImageInfo[] {
  return images.filter((image, index) => images.findIndex((other) => sameRef(other.ref, image.ref)) === index);
}

/**
 * A small icon button (Move Earlier / Move Later / Remove) that fits a narrow thumbnail on one row: the
 * glyph is hidden from assistive technology, the accessible name is `title` (a contract: unchanged).
 */
function button(icon: string, move: string, index: number, title: string, disabled: boolean): HTMLButtonElement {
  const node = element('button', 'secondary small icon-button');
  const glyph = element('span', 'glyph', icon);
  glyph.setAttribute('aria-hidden', 'true');
  node.append(glyph);
  node.type = 'button';
  node.title = title;
  node.setAttribute('aria-label', title);
  node.dataset.move = move;
  node.dataset.index = String(index);
  node.disabled = disabled;
  return node;
}
