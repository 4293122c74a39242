import { element } from './gallery';

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`Image Studio: #${id} is missing from the page`);
  return node as T;
}

/** The page's controls (rendered by src/studio/studioHtml.ts; their ids and labels are a contract). */
export const ui = {
  form: byId<HTMLFormElement>('form'),
  prompt: byId<HTMLTextAreaElement>('prompt'),
  promptCount: byId('prompt-count'),
  promptError: byId('prompt-error'),
  shortcutHint: byId('shortcut-hint'),
  size: byId<HTMLSelectElement>('size'),
  customSizeField: byId('custom-size-field'),
  customSize: byId<HTMLInputElement>('custom-size'),
  customSizeError: byId('custom-size-error'),
  quality: byId<HTMLSelectElement>('quality'),
  count: byId<HTMLSelectElement>('count'),
  format: byId<HTMLSelectElement>('format'),
  background: byId<HTMLSelectElement>('background'),
  backgroundError: byId('background-error'),
  generate: byId<HTMLButtonElement>('generate'),
  elapsed: byId('elapsed'),
  model: byId('model'),
  estimate: byId('estimate'),
  previews: byId('previews'),
  previewList: byId<HTMLUListElement>('preview-list'),
  previewNote: byId('preview-note'),
  progress: byId('progress'),
  keyHint: byId('key-hint'),
  keyHintButton: byId<HTMLButtonElement>('key-hint-button'),
  status: byId('status'),
  alert: byId('alert'),
  gallery: byId<HTMLUListElement>('gallery'),
  galleryEmpty: byId('gallery-empty'),
  showMore: byId<HTMLButtonElement>('show-more'),
};

export function fillSelect(select: HTMLSelectElement, choices: readonly (readonly [string, string])[]): void {
  const current = select.value;
  select.replaceChildren(
    ...choices.map(([value, label]) => {
      const option = element('option', undefined, label);
      option.value = value;
      return option;
    }),
  );
  if (choices.some(([value]) => value === current)) select.value = current;
}

export function setSelect(select: HTMLSelectElement, value: string): void {
  if ([...select.options].some((option) => option.value === value)) select.value = value;
}

export function setFieldError(control: HTMLElement, slot: HTMLElement, message: string | undefined): void {
  slot.textContent = message ?? '';
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}
