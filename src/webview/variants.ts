import type { GalleryEntry, GalleryImage, GalleryVersion } from '../shared/protocol';

/**
 * Variants and lineage on gallery cards (issue #13): Keep / Discard the others on the cards of a
 * generation of several images, "edited from …" and the strip of versions on edits. The buttons carry
 * entry id + index only (the host resolves files from its history); see main.ts for the clicks.
 */
export type VariantCommand = 'keep' | 'discardOthers' | 'openParent' | 'showCard';

/** The accessible names tests and users rely on. */
export const variantLabels = { keep: 'Keep', discardOthers: 'Discard the others' } as const;

/** Keep on every card of a multi-image generation; Discard the others on the kept ones while others remain. */
export function variantButtons(entry: GalleryEntry, image: GalleryImage, index: number): HTMLButtonElement[] {
  if (!entry.variants) return [];
  const keep = button('keep', entry.id, index, variantLabels.keep, image.kept ? 'Kept: click to un-keep' : 'Keep this image when discarding the others');
  keep.setAttribute('aria-pressed', String(image.kept === true));
  const others = entry.images.filter((candidate) => !candidate.kept).length;
  if (!image.kept || others === 0) return [keep];
  const discard = button('discardOthers', entry.id, index, variantLabels.discardOthers, `Move the ${others} image(s) of this generation you did not keep to the trash (asks first)`);
  return [keep, discard];
}

/** "edited from hero.png" (a button to its card or file) and the versions strip, for the caption. */
export function lineageNodes(entry: GalleryEntry, image: GalleryImage): HTMLElement[] {
  const nodes: HTMLElement[] = [];
  const from = entry.editedFrom;
  if (from) {
    const line = document.createElement('p');
    line.className = 'lineage';
    line.append('edited from ');
    const name = from.deleted ? `${from.name} (deleted)` : from.name;
    if (from.deleted) {
      line.append(name);
    } else {
      const link = from.ref
        ? button('showCard', from.ref.id, from.ref.index, name, `Show ${from.name} in the gallery`)
        : button('openParent', entry.id, 0, name, `Open ${from.name}`);
      link.className = 'link';
      line.append(link);
    }
    nodes.push(line);
  }
  if (image.versions && image.versions.length > 1) nodes.push(versionStrip(entry, image.versions));
  return nodes;
}

function versionStrip(entry: GalleryEntry, versions: readonly GalleryVersion[]): HTMLElement {
  const strip = document.createElement('ol');
  strip.className = 'versions';
  strip.setAttribute('aria-label', 'Versions');
  versions.forEach((version, k) => {
    const item = document.createElement('li');
    const label = `Version ${k + 1} of ${versions.length}: ${version.name}${version.deleted ? ' (deleted)' : ''}${version.current ? ' (this image)' : ''}`;
    const thumb = version.src ? Object.assign(document.createElement('img'), { src: version.src, alt: '', loading: 'lazy' as const }) : placeholderThumb();
    let target: HTMLElement;
    if (version.current) {
      target = document.createElement('span');
      item.setAttribute('aria-current', 'true');
    } else if (version.ref) {
      target = button('showCard', version.ref.id, version.ref.index, '', `Show ${version.name}`);
    } else if (!version.deleted && entry.editedFrom && !entry.editedFrom.ref && entry.editedFrom.name === version.name) {
      target = button('openParent', entry.id, 0, '', `Open ${version.name}`);
    } else {
      target = document.createElement('span');
    }
    target.classList.add('version');
    if (version.current) target.classList.add('current');
    if (version.deleted) target.classList.add('deleted');
    target.setAttribute('aria-label', label);
    target.title = label;
    target.append(thumb);
    item.append(target);
    strip.append(item);
  });
  return strip;
}

function placeholderThumb(): HTMLElement {
  const box = document.createElement('span');
  box.className = 'thumb-missing';
  box.textContent = '×';
  box.setAttribute('aria-hidden', 'true');
  return box;
}

function button(command: VariantCommand, id: string, index: number, text: string, title: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = 'secondary small';
  node.textContent = text;
  node.title = title;
  node.dataset.command = command;
  node.dataset.id = id;
  node.dataset.index = String(index);
  return node;
}

/** The card of image `index` of entry `id`, when it is rendered. */
export function findCard(list: HTMLElement, id: string, index: number): HTMLElement | undefined {
  return Array.from(list.querySelectorAll<HTMLElement>('li.card')).find((card) => card.dataset.entry === id && card.dataset.index === String(index));
}

/** Scrolls to a card and focuses it briefly highlighted; false when it is not rendered (then the host opens the file). */
export function showCard(list: HTMLElement, id: string, index: number): boolean {
  const card = findCard(list, id, index);
  if (!card) return false;
  card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  card.classList.add('highlight');
  card.tabIndex = -1;
  card.focus({ preventScroll: true });
  setTimeout(() => card.classList.remove('highlight'), 1500);
  return true;
}
