import * as vscode from 'vscode';
import { backgroundLabel, formatLabel, plural, promptAdvice, qualityLabel, qualityPhrase, sizeLabel } from '../shared/labels';
import { plainText } from '../shared/plainText';
import type { GenerationOverrides } from '../generation/generationService';
import { backgrounds, outputFormats, qualities, standardSizes, type ImageOptionField, type UncheckedOptions } from '../shared/options';
import { acceptsCustomSize, validatePrompt, validateSize } from '../shared/optionRules';


/** What the options step starts from: the settings, already read. */
export interface PromptDefaults extends UncheckedOptions {
  readonly model: string;
}

/** The prompt box's title and its first sentence: Generate Image… and Edit Image… word them differently. */
export interface PromptWording {
  readonly title: string;
  readonly describe: string;
}

const generateWording: PromptWording = { title: 'GPT Image: Generate Image', describe: 'Describe the image to generate.' };

export interface PromptAnswer {
  readonly prompt: string;
  /** Only what the user changed in Options…; the rest comes from settings. */
  readonly overrides: GenerationOverrides;
}

const countChoices = Array.from({ length: 10 }, (_, i) => String(i + 1));

type Option = ImageOptionField;

const optionsButton: vscode.QuickInputButton = {
  iconPath: new vscode.ThemeIcon('settings'),
  tooltip: 'Options… (size, quality, count, format, background)',
};

/**
 * The prompt box of Generate Image…: validates as you type, and its Options… button changes size,
 * quality, count, format and background for this generation only, then comes back with the text kept.
 */
export async function askForPrompt(
  initial: string,
  defaults: PromptDefaults,
  wording: PromptWording = generateWording,
): Promise<PromptAnswer | undefined> {
  let value = initial;
  let overrides: GenerationOverrides = {};
  for (;;) {
    const current = { ...defaults, ...overrides };
    const step = await showPromptBox(value, summary(current), wording);
    if (step.kind === 'cancel') return undefined;
    value = step.value;
    if (step.kind === 'accept') return { prompt: value.trim(), overrides };
    const changed = await pickOption(current);
    if (changed) overrides = { ...overrides, ...changed };
  }
}

function summary(options: PromptDefaults): string {
  const count = plural(options.n, 'image');
  return [
    sizeLabel(options.size),
    qualityPhrase(options.quality),
    count,
    formatLabel(options.outputFormat),
    backgroundLabel(options.background),
  ].join(' · ');
}

type PromptStep = { kind: 'accept' | 'options'; value: string } | { kind: 'cancel' };

function showPromptBox(value: string, options: string, wording: PromptWording): Promise<PromptStep> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = wording.title;
    // Quick input prompts render links like notifications do, and the summary shows values from settings.
    box.prompt = plainText(`${wording.describe} ${options} (change with the gear button).`);
    box.placeholder = promptAdvice;
    box.value = value;
    box.ignoreFocusOut = true;
    box.buttons = [optionsButton];
    let step: PromptStep = { kind: 'cancel' };
    const check = (text: string): void => {
      box.validationMessage = text.trim() === '' ? undefined : validatePrompt(text);
    };
    check(value);
    const subscriptions = [
      box.onDidChangeValue(check),
      box.onDidAccept(() => {
        const problem = validatePrompt(box.value);
        if (problem) {
          box.validationMessage = problem;
          return;
        }
        step = { kind: 'accept', value: box.value };
        box.hide();
      }),
      box.onDidTriggerButton(() => {
        step = { kind: 'options', value: box.value };
        box.hide();
      }),
      box.onDidHide(() => {
        subscriptions.forEach((subscription) => subscription.dispose());
        box.dispose();
        resolve(step);
      }),
    ];
    box.show();
  });
}

interface OptionItem extends vscode.QuickPickItem {
  readonly option: Option;
}

async function pickOption(current: PromptDefaults): Promise<GenerationOverrides | undefined> {
  const items: OptionItem[] = [
    { option: 'size', label: 'Size', description: sizeLabel(current.size) },
    { option: 'quality', label: 'Quality', description: qualityLabel(current.quality) },
    { option: 'n', label: 'Count', description: String(current.n) },
    { option: 'outputFormat', label: 'Format', description: formatLabel(current.outputFormat) },
    { option: 'background', label: 'Background', description: backgroundLabel(current.background) },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'GPT Image: Options for this generation',
    placeHolder: 'Pick an option to change (settings stay as they are)',
  });
  if (!picked) return undefined;
  switch (picked.option) {
    case 'size':
      return pickSize(current);
    case 'quality':
      return pickValue('Quality', qualities, current.quality, qualityLabel, (quality) => ({ quality }));
    case 'n':
      return pickValue('Count', countChoices, String(current.n), String, (n) => ({ n: Number(n) }));
    case 'outputFormat':
      return pickValue('Format', outputFormats, current.outputFormat, formatLabel, (outputFormat) => ({ outputFormat }));
    case 'background':
      return pickValue('Background', backgrounds, current.background, backgroundLabel, (background) => ({ background }));
  }
}

async function pickValue(
  title: string,
  values: readonly string[],
  current: string,
  label: (value: string) => string,
  toOverride: (value: string) => GenerationOverrides,
): Promise<GenerationOverrides | undefined> {
  const items = values.map((value) => ({
    label: label(value),
    description: value === current ? 'current' : undefined,
    value,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: `GPT Image: ${title}` });
  return picked ? toOverride(picked.value) : undefined;
}

async function pickSize(current: PromptDefaults): Promise<GenerationOverrides | undefined> {
  const custom = 'custom';
  const items = [
    ...standardSizes.map((size) => ({
      label: sizeLabel(size),
      description: size === current.size ? 'current' : undefined,
      value: size as string,
    })),
    // Only gpt-image-2 takes custom sizes; other models would reject every value typed.
    ...(acceptsCustomSize(current.model)
      ? [{ label: 'Custom…', description: 'any WIDTHxHEIGHT gpt-image-2 accepts', value: custom }]
      : []),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'GPT Image: Size' });
  if (!picked) return undefined;
  if (picked.value !== custom) return { size: picked.value };
  const size = await vscode.window.showInputBox({
    title: 'GPT Image: Custom size',
    prompt: 'WIDTHxHEIGHT: multiples of 16, aspect ratio 1:3 to 3:1, at most 3840x2160',
    value: standardSizes.includes(current.size as (typeof standardSizes)[number]) ? '2048x1152' : current.size,
    validateInput: (text) => validateSize(text.trim(), current.model),
  });
  return size ? { size: size.trim() } : undefined;
}
