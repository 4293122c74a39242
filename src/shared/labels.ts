import { standardSizes } from '../core/types';

const qualityLabels: Readonly<Record<string, string>> = { auto: 'Auto', low: 'Low', medium: 'Medium', high: 'High' };
const formatLabels: Readonly<Record<string, string>> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };
const backgroundLabels: Readonly<Record<string, string>> = {
  auto: 'Auto',
  transparent: 'Transparent',
  opaque: 'Opaque',
};
const sizeShapes: Readonly<Record<string, string>> = {
  '1024x1024': 'Square',
  '1536x1024': 'Landscape',
  '1024x1536': 'Portrait',
};

export const customSizeValue = 'custom';

export function isStandardSize(size: string): boolean {
  return (standardSizes as readonly string[]).includes(size);
}

/** `Landscape 1536×1024`, `2048×1152`, `Auto size`: the shape first, so a narrow select still shows it. */
export function sizeLabel(size: string): string {
  if (size === 'auto') return 'Auto size';
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (!match) return size;
  const shape = sizeShapes[size];
  return `${shape ? `${shape} ` : ''}${match[1]}×${match[2]}`;
}

export function qualityLabel(quality: string): string {
  return qualityLabels[quality] ?? quality;
}

export function formatLabel(format: string): string {
  return formatLabels[format] ?? format;
}

export function backgroundLabel(background: string): string {
  return `${backgroundLabels[background] ?? background} background`;
}

export function optionText(field: 'quality' | 'outputFormat' | 'background', value: string): string {
  switch (field) {
    case 'quality':
      return qualityLabel(value);
    case 'outputFormat':
      return formatLabel(value);
    case 'background':
      return backgroundLabels[value] ?? value;
  }
}

/** `1 image`, `3 images`: for regular English nouns only. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Extensions (lower case, no dot) of the image files we save, link and insert. */
export const imageExtensions: readonly string[] = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'svg'];

/** The seed's advice, shown wherever a prompt is typed (the Studio's placeholder, the palette's prompt box). */
export const promptAdvice =
  'Subject + style + composition + key details, e.g. "A beautiful sunset over a calm ocean, cinematic lighting, soft clouds, warm orange and purple tones"';
