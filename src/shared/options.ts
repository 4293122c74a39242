/**
 * The images API's option vocabulary, shared by every layer: the engine validates against it, the host
 * and the webview offer it. The bottom layer: no `vscode`, no Node, no DOM (see test/unit/layering.test.ts).
 */

export const qualities = ['auto', 'low', 'medium', 'high'] as const;
export type Quality = (typeof qualities)[number];

export const outputFormats = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export const backgrounds = ['auto', 'transparent', 'opaque'] as const;
export type Background = (typeof backgrounds)[number];

export const moderations = ['auto', 'low'] as const;
export type Moderation = (typeof moderations)[number];

/** The sizes every GPT image model accepts; gpt-image-2 also takes custom `WxH` (see validate.ts). */
export const standardSizes = ['auto', '1024x1024', '1536x1024', '1024x1536'] as const;

export const defaultModel = 'gpt-image-2';
export const maxPromptLength = 32_000;
/** Images per request: the API's limit for gpt-image models. */
export const maxCount = 10;
