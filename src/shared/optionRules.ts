/**
 * The option rules both sides apply as the user types (the webview's form, the palette's input boxes)
 * and the engine applies before sending. Plain functions over strings: no `vscode`, no Node, no DOM.
 */
import { defaultModel, maxPromptLength, standardSizes } from './options';
import { plainText, quoteValue } from './plainText';

/** Used when the input names no size: the seed's baseline, cheap and predictable. */
export const defaultSize = '1024x1024';

const maxCustomLongSide = 3840;
const maxCustomShortSide = 2160;
const maxCustomPixels = maxCustomLongSide * maxCustomShortSide;
const maxAspect = 3;

/**
 * Checks a prompt as the user types. Undefined means it is fine. The limit counts characters (code
 * points) of the trimmed text, so an emoji counts once.
 */
export function validatePrompt(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.length === 0) return 'Describe the image you want: the prompt is empty.';
  const length = characterCount(trimmed);
  if (length > maxPromptLength) {
    return `The prompt is ${formatCount(length)} characters long; the limit is ${formatCount(maxPromptLength)}. Remove ${formatCount(length - maxPromptLength)} characters.`;
  }
  return undefined;
}

/** True for models that accept custom `WxH` sizes: gpt-image-2 and its dated snapshots. */
export function acceptsCustomSize(model: string): boolean {
  return model.trim().startsWith('gpt-image-2');
}

/**
 * Checks a size for a model as the user types. Undefined means it is fine. Custom sizes follow
 * gpt-image-2's rules: sides multiples of 16, aspect 1:3 to 3:1, fits 3840x2160 in either orientation.
 */
export function validateSize(size: string, model: string = defaultModel): string | undefined {
  const standard = standardSizes.join(', ');
  if ((standardSizes as readonly string[]).includes(size)) return undefined;
  const custom = acceptsCustomSize(model);
  // The size may come from a workspace's settings: quoted short and plain, it cannot become a link.
  const quoted = quoteValue(size);
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) {
    return custom
      ? `Size ${quoted} is not allowed: use ${standard}, or WIDTHxHEIGHT such as 2048x1152.`
      : `Size ${quoted} is not allowed: use ${standard}.`;
  }
  if (!custom) {
    return `Size ${quoted} is not allowed for model ${plainText(model)}: use ${standard} (custom sizes need gpt-image-2).`;
  }
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (width === 0 || height === 0) {
    return `Size ${quoted} is not allowed: width and height must be greater than 0.`;
  }
  if (width % 16 !== 0 || height % 16 !== 0) {
    const down = `${Math.max(16, floor16(width))}x${Math.max(16, floor16(height))}`;
    const up = `${ceil16(width)}x${ceil16(height)}`;
    return `Size ${quoted} is not allowed: width and height must be multiples of 16 (try ${down} or ${up}).`;
  }
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (long > maxAspect * short) {
    const ratio = (long / short).toFixed(2).replace(/\.?0+$/, '');
    const shape = width >= height ? `${ratio}:1` : `1:${ratio}`;
    return `Size ${quoted} is not allowed: its aspect ratio ${shape} is outside 1:3 to 3:1.`;
  }
  if (long > maxCustomLongSide || short > maxCustomShortSide || width * height > maxCustomPixels) {
    return `Size ${quoted} is not allowed: it must fit within 3840x2160 or 2160x3840.`;
  }
  return undefined;
}

function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

function floor16(value: number): number {
  return Math.floor(value / 16) * 16;
}

function ceil16(value: number): number {
  return Math.ceil(value / 16) * 16;
}
