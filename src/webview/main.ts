import { type GalleryEntry, type StudioDefaults, type StudioOptions, type ToWebview } from '../shared/protocol';
import { cardActionOf, element, renderGallery } from './gallery';
import { customSizeValue, type ErrorAction, errorActionLabels, isStandardSize, optionText, plural, sizeLabel } from '../shared/labels';
import { vscode, type Draft, type OptionField, type SavedState } from './vscodeApi';
import { backgrounds, maxCount, maxPromptLength, outputFormats, qualities, standardSizes } from '../shared/options';
import { validatePrompt, validateSize } from '../shared/optionRules';

const pageSize = 24;
const isMac = /Mac|iPhone|iPad/.test(navigator.userAgent);

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`Image Studio: #${id} is missing from the page`);
  return node as T;
}

const ui = {
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
  progress: byId('progress'),
  keyHint: byId('key-hint'),
  keyHintButton: byId<HTMLButtonElement>('key-hint-button'),
  status: byId('status'),
  alert: byId('alert'),
  gallery: byId<HTMLUListElement>('gallery'),
  galleryEmpty: byId('gallery-empty'),
  showMore: byId<HTMLButtonElement>('show-more'),
};

const saved: SavedState = vscode.getState() ?? {};
let defaults: StudioDefaults | undefined;
let entries: readonly GalleryEntry[] = [];
const edited = new Set<OptionField>(saved.edited ?? []);
let visibleCount = saved.visibleCount ?? pageSize;
let running = false;
/** Errors are shown once the user tried to generate, or at once for problems typing can cause (length). */
let attempted = false;

fillSelect(ui.quality, qualities.map((value) => [value, optionText('quality', value)]));
fillSelect(ui.format, outputFormats.map((value) => [value, optionText('outputFormat', value)]));
fillSelect(ui.background, backgrounds.map((value) => [value, optionText('background', value)]));
fillSelect(ui.count, Array.from({ length: maxCount }, (_, i) => [String(i + 1), String(i + 1)]));
// Until the host says which model is set, keep a saved custom size selectable.
fillSizes(saved.draft?.size === customSizeValue, undefined);
ui.shortcutHint.textContent = ` · ${isMac ? '⌘' : 'Ctrl'}+Enter to generate`;
if (saved.draft) applyDraft(saved.draft);
updatePromptCount();

function fillSelect(select: HTMLSelectElement, choices: readonly (readonly [string, string])[]): void {
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

/** Standard sizes, `Custom…` when the model takes custom sizes, and a settings value that fits neither. */
function fillSizes(customSizes: boolean, extra: string | undefined): void {
  const choices: [string, string][] = standardSizes.map((size) => [size, size === 'auto' ? 'Auto' : sizeLabel(size)]);
  if (extra && !isStandardSize(extra) && !customSizes) choices.push([extra, sizeLabel(extra)]);
  if (customSizes) choices.push([customSizeValue, 'Custom…']);
  fillSelect(ui.size, choices);
}

function draft(): Draft {
  return {
    prompt: ui.prompt.value,
    size: ui.size.value,
    customSize: ui.customSize.value.trim(),
    quality: ui.quality.value,
    n: Number(ui.count.value),
    outputFormat: ui.format.value,
    background: ui.background.value,
  };
}

function applyDraft(value: Draft): void {
  ui.prompt.value = value.prompt;
  if (value.size === customSizeValue) ui.customSize.value = value.customSize;
  setSize(value.size);
  setSelect(ui.quality, value.quality);
  setSelect(ui.count, String(value.n));
  setSelect(ui.format, value.outputFormat);
  setSelect(ui.background, value.background);
  syncCustomSize();
}

function setSelect(select: HTMLSelectElement, value: string): void {
  if ([...select.options].some((option) => option.value === value)) select.value = value;
}

/** Selects a size: a listed one directly, anything else through `Custom…` when that exists. */
function setSize(size: string): boolean {
  const has = (value: string): boolean => [...ui.size.options].some((option) => option.value === value);
  let done = true;
  if (size !== customSizeValue && has(size)) {
    ui.size.value = size;
  } else if (has(customSizeValue) && size !== '') {
    ui.size.value = customSizeValue;
    if (size !== customSizeValue) ui.customSize.value = size;
  } else {
    done = false;
  }
  syncCustomSize();
  return done;
}

function syncCustomSize(): void {
  ui.customSizeField.hidden = ui.size.value !== customSizeValue;
}

function chosenSize(): string {
  return ui.size.value === customSizeValue ? ui.customSize.value.trim() : ui.size.value;
}

function options(): StudioOptions {
  return {
    size: chosenSize(),
    quality: ui.quality.value as StudioOptions['quality'],
    n: Number(ui.count.value),
    outputFormat: ui.format.value as StudioOptions['outputFormat'],
    background: ui.background.value as StudioOptions['background'],
  };
}

function persist(): void {
  vscode.setState({ draft: draft(), edited: [...edited], visibleCount });
}

/** Settings are the defaults; options the user changed here stay as they are. */
function applyDefaults(next: StudioDefaults): void {
  defaults = next;
  const wanted = edited.has('size') ? chosenSize() || ui.size.value : next.options.size;
  fillSizes(next.customSizes, next.options.size);
  if (!setSize(wanted) && !setSize(next.options.size)) setSize(standardSizes[1]);
  if (!edited.has('quality')) setSelect(ui.quality, next.options.quality);
  if (!edited.has('n')) setSelect(ui.count, String(next.options.n));
  if (!edited.has('outputFormat')) setSelect(ui.format, next.options.outputFormat);
  if (!edited.has('background')) setSelect(ui.background, next.options.background);
  ui.model.textContent = `Model: ${next.model}`;
  validate(false);
  persist();
}

/** Shows field errors and returns the first invalid control. Prompt emptiness waits for a Generate attempt. */
function validate(showAll: boolean): HTMLElement | undefined {
  const promptProblem = validatePrompt(ui.prompt.value);
  const tooLong = promptProblem !== undefined && ui.prompt.value.trim() !== '';
  const promptShown = showAll || attempted || tooLong ? promptProblem : undefined;
  setFieldError(ui.prompt, ui.promptError, promptShown);

  const sizeProblem =
    ui.size.value === customSizeValue
      ? ui.customSize.value.trim() === ''
        ? showAll
          ? 'Enter a size as WIDTHxHEIGHT, e.g. 2048x1152.'
          : undefined
        : validateSize(ui.customSize.value.trim(), defaults?.model)
      : undefined;
  setFieldError(ui.customSize, ui.customSizeError, sizeProblem);

  const backgroundProblem =
    ui.background.value === 'transparent' && ui.format.value === 'jpeg'
      ? 'A transparent background needs PNG or WebP.'
      : undefined;
  setFieldError(ui.background, ui.backgroundError, backgroundProblem);

  if (promptProblem && (showAll || attempted)) return ui.prompt;
  if (sizeProblem || (showAll && ui.size.value === customSizeValue && validateSize(chosenSize(), defaults?.model))) {
    return ui.customSize;
  }
  if (backgroundProblem) return ui.background;
  return undefined;
}

function setFieldError(control: HTMLElement, slot: HTMLElement, message: string | undefined): void {
  slot.textContent = message ?? '';
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

function updatePromptCount(): void {
  const length = [...ui.prompt.value.trim()].length;
  ui.promptCount.textContent = `${length.toLocaleString()} / ${maxPromptLength.toLocaleString()}`;
  ui.promptCount.classList.toggle('over', length > maxPromptLength);
}

function generateOrCancel(): void {
  if (running) {
    vscode.postMessage({ type: 'cancel' });
    setStatus('Cancelling…');
    return;
  }
  attempted = true;
  const invalid = validate(true);
  if (invalid) {
    invalid.focus();
    return;
  }
  attempted = false;
  clearAlert();
  vscode.postMessage({ type: 'generate', prompt: ui.prompt.value, options: options() });
}

function setRunning(next: boolean, elapsedSeconds = 0): void {
  running = next;
  ui.generate.textContent = next ? 'Cancel' : 'Generate';
  ui.generate.className = next ? 'secondary' : 'primary';
  ui.generate.title = next ? 'Cancel the request (Escape). Nothing is saved.' : '';
  ui.progress.hidden = !next;
  ui.elapsed.hidden = !next;
  ui.form.setAttribute('aria-busy', String(next));
  if (next) showElapsed(elapsedSeconds);
}

function showElapsed(seconds: number): void {
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  ui.elapsed.textContent = `${minutes}:${rest} elapsed`;
}

function setStatus(message: string): void {
  ui.status.textContent = message;
}

function showAlert(message: string, actions: readonly ErrorAction[]): void {
  const buttons = actions.map((action) => {
    const button = element('button', 'secondary small', errorActionLabels[action]);
    button.type = 'button';
    button.dataset.action = action;
    return button;
  });
  const dismiss = element('button', 'icon small', 'Dismiss');
  dismiss.type = 'button';
  dismiss.dataset.dismiss = 'true';
  const row = element('div', 'alert-actions');
  row.append(...buttons, dismiss);
  ui.alert.replaceChildren(element('p', 'alert-message', message), row);
  // In a narrow panel the alert can be below the fold; bring it into view without moving focus.
  ui.alert.scrollIntoView({ block: 'nearest' });
}

function clearAlert(): void {
  ui.alert.replaceChildren();
}

function showGallery(): void {
  const total = renderGallery(ui.gallery, entries, visibleCount, Date.now());
  ui.galleryEmpty.hidden = total > 0;
  ui.showMore.hidden = total <= visibleCount;
  ui.showMore.textContent = `Show more (${total - Math.min(total, visibleCount)} older)`;
}

function reuse(id: string): void {
  const entry = entries.find((candidate) => candidate.id === id);
  if (!entry) return;
  ui.prompt.value = entry.prompt;
  setSize(entry.options.size);
  setSelect(ui.quality, entry.options.quality);
  setSelect(ui.count, String(entry.options.n));
  setSelect(ui.format, entry.options.outputFormat);
  setSelect(ui.background, entry.options.background);
  for (const field of ['size', 'quality', 'n', 'outputFormat', 'background'] as const) edited.add(field);
  updatePromptCount();
  validate(false);
  persist();
  ui.prompt.focus();
  ui.prompt.scrollIntoView({ block: 'nearest' });
  setStatus('Prompt and options copied into the form.');
}

function receive(message: ToWebview): void {
  switch (message.type) {
    case 'init':
      applyDefaults(message.defaults);
      ui.keyHint.hidden = message.hasKey;
      entries = message.entries;
      showGallery();
      setRunning(message.running !== undefined, message.running?.elapsedSeconds);
      if (message.running) setStatus('Generating…');
      // The entries above already hold a missed result's images; only its message is new.
      if (message.missed?.type === 'result') setStatus(message.missed.message);
      else if (message.missed) receive(message.missed);
      document.body.classList.add('ready');
      return;
    case 'defaults':
      applyDefaults(message.defaults);
      return;
    case 'hasKey':
      ui.keyHint.hidden = message.hasKey;
      return;
    case 'started':
      setRunning(true);
      clearAlert();
      setStatus(`Generating ${ui.count.value === '1' ? 'an image' : plural(Number(ui.count.value), 'image')}… press Escape to cancel.`);
      return;
    case 'progress':
      if (running) showElapsed(message.elapsedSeconds);
      return;
    case 'result':
      setRunning(false);
      entries = [message.entry, ...entries.filter((entry) => entry.id !== message.entry.id)];
      showGallery();
      setStatus(message.message);
      return;
    case 'stopped':
      setRunning(false);
      setStatus(message.message);
      return;
    case 'error':
      if (message.endsRun) {
        setRunning(false);
        setStatus('');
      }
      showAlert(message.message, message.actions);
      return;
    case 'status':
      setStatus(message.message);
      return;
    case 'entries':
      entries = message.entries;
      showGallery();
      return;
  }
}

// Only the extension host posts to this window; ignore anything without a known shape.
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const data = event.data;
  if (typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string') {
    receive(data as ToWebview);
  }
});

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  generateOrCancel();
});

ui.form.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
    event.preventDefault();
    if (!running) generateOrCancel();
  }
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && running) {
    event.preventDefault();
    generateOrCancel();
  }
});

ui.prompt.addEventListener('input', () => {
  updatePromptCount();
  validate(false);
  persist();
});

const optionControls: readonly [HTMLSelectElement, OptionField][] = [
  [ui.size, 'size'],
  [ui.quality, 'quality'],
  [ui.count, 'n'],
  [ui.format, 'outputFormat'],
  [ui.background, 'background'],
];
for (const [control, field] of optionControls) {
  control.addEventListener('change', () => {
    edited.add(field);
    if (control === ui.size) {
      syncCustomSize();
      if (ui.size.value === customSizeValue && !ui.customSize.value) ui.customSize.focus();
    }
    validate(false);
    persist();
  });
}

ui.customSize.addEventListener('input', () => {
  edited.add('size');
  validate(false);
  persist();
});

ui.keyHintButton.addEventListener('click', () => vscode.postMessage({ type: 'errorAction', action: 'setApiKey' }));

ui.alert.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button') : null;
  if (!button) return;
  if (button.dataset.dismiss) {
    clearAlert();
    ui.prompt.focus();
    return;
  }
  const action = button.dataset.action as ErrorAction | undefined;
  if (action) vscode.postMessage({ type: 'errorAction', action });
});

ui.gallery.addEventListener('click', (event) => {
  const action = cardActionOf(event.target);
  if (!action) return;
  if (action.command === 'reuse') reuse(action.id);
  else vscode.postMessage({ type: action.command, id: action.id, index: action.index });
});

ui.showMore.addEventListener('click', () => {
  visibleCount += pageSize;
  showGallery();
  persist();
});

/** Resets `edited` when the user picks the settings' value again, so later settings changes apply. */
function resetEditedToDefaults(): void {
  if (!defaults) return;
  const current = options();
  for (const field of [...edited]) {
    if (String(current[field]) === String(defaults.options[field])) edited.delete(field);
  }
}
ui.form.addEventListener('change', () => {
  resetEditedToDefaults();
  persist();
});

vscode.postMessage({ type: 'ready' });
