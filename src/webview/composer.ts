import { customSizeValue, isStandardSize, optionText, sizeLabel } from '../shared/labels';
import { validatePrompt, validateSize } from '../shared/optionRules';
import { backgrounds, maxCount, maxPromptLength, outputFormats, qualities, standardSizes } from '../shared/options';
import type { GalleryEntry, StudioDefaults } from '../shared/protocol';
import { imageOptionFields, type ImageOptionField, type ImageOptions } from '../shared/options';
import { mergeDefaults, stillEdited } from '../shared/studioForm';
import { fillSelect, setFieldError, setSelect, ui } from './dom';
import type { Draft } from './vscodeApi';

/** The form's state: the settings' defaults, the options the user changed, and whether Generate was tried. */
export const form = {
  defaults: undefined as StudioDefaults | undefined,
  edited: new Set<ImageOptionField>(),
  /** Errors are shown once the user tried to generate, or at once for problems typing can cause (length). */
  attempted: false,
};

/** Fills the choices; a saved draft with a custom size keeps `Custom…` until the host names the model. */
export function setUpForm(draft: Draft | undefined): void {
  fillSelect(ui.quality, qualities.map((value) => [value, optionText('quality', value)]));
  fillSelect(ui.format, outputFormats.map((value) => [value, optionText('outputFormat', value)]));
  fillSelect(ui.background, backgrounds.map((value) => [value, optionText('background', value)]));
  fillSelect(ui.count, Array.from({ length: maxCount }, (_, i) => [String(i + 1), String(i + 1)]));
  fillSizes(draft?.size === customSizeValue, undefined);
  if (draft) applyDraft(draft);
  updatePromptCount();
}

/** Standard sizes, `Custom…` when the model takes custom sizes, and a settings value that fits neither. */
function fillSizes(customSizes: boolean, extra: string | undefined): void {
  const choices: [string, string][] = standardSizes.map((size) => [size, size === 'auto' ? 'Auto' : sizeLabel(size)]);
  if (extra && !isStandardSize(extra) && !customSizes) choices.push([extra, sizeLabel(extra)]);
  if (customSizes) choices.push([customSizeValue, 'Custom…']);
  fillSelect(ui.size, choices);
}

export function draft(): Draft {
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

export function syncCustomSize(): void {
  ui.customSizeField.hidden = ui.size.value !== customSizeValue;
}

function chosenSize(): string {
  return ui.size.value === customSizeValue ? ui.customSize.value.trim() : ui.size.value;
}

export function options(): ImageOptions {
  return {
    size: chosenSize(),
    quality: ui.quality.value as ImageOptions['quality'],
    n: Number(ui.count.value),
    outputFormat: ui.format.value as ImageOptions['outputFormat'],
    background: ui.background.value as ImageOptions['background'],
  };
}

function showOptions(value: ImageOptions): void {
  setSelect(ui.quality, value.quality);
  setSelect(ui.count, String(value.n));
  setSelect(ui.format, value.outputFormat);
  setSelect(ui.background, value.background);
}

/** Settings are the defaults; options the user changed here stay as they are. */
export function applyDefaults(next: StudioDefaults): void {
  form.defaults = next;
  // An empty custom size keeps `Custom…` selected.
  const current = { ...options(), size: chosenSize() || ui.size.value };
  const merged = mergeDefaults(current, next.options, form.edited);
  fillSizes(next.customSizes, next.options.size);
  if (!setSize(merged.size) && !setSize(next.options.size)) setSize(standardSizes[1]);
  showOptions(merged);
  ui.model.textContent = `Model: ${next.model}`;
  validate(false);
}

/** Reuse Prompt: the entry's prompt and options into the form, all counted as the user's choice. */
export function reuseEntry(entry: GalleryEntry): void {
  ui.prompt.value = entry.prompt;
  setSize(entry.options.size);
  showOptions(entry.options);
  for (const field of imageOptionFields) form.edited.add(field);
  updatePromptCount();
  validate(false);
}

/** Resets `edited` when the user picks the settings' value again, so later settings changes apply. */
export function resetEditedToDefaults(): void {
  if (!form.defaults) return;
  form.edited = stillEdited(options(), form.defaults.options, form.edited);
}

/** Shows field errors and returns the first invalid control. Prompt emptiness waits for a Generate attempt. */
export function validate(showAll: boolean): HTMLElement | undefined {
  const { attempted, defaults } = form;
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

export function updatePromptCount(): void {
  const length = [...ui.prompt.value.trim()].length;
  ui.promptCount.textContent = `${length.toLocaleString()} / ${maxPromptLength.toLocaleString()}`;
  ui.promptCount.classList.toggle('over', length > maxPromptLength);
}
