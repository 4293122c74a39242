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

/**
 * The options of one image request, the one vocabulary every surface speaks: the Studio form and its
 * protocol, the palette's Options…, the agent tools, placeholders, the history and cost estimates. The
 * validated shape; the other shapes derive from it (Partial/Pick/keyof, or {@link UncheckedOptions}).
 */
export interface ImageOptions {
  /** `auto`, a standard size or (gpt-image-2) a custom `WxH`; the validator knows which model takes which. */
  readonly size: string;
  readonly quality: Quality;
  /** Images per request, 1–{@link maxCount}. */
  readonly n: number;
  readonly outputFormat: OutputFormat;
  readonly background: Background;
}

export type ImageOptionField = keyof ImageOptions;

/** Every field of {@link ImageOptions}, in the order the Studio form shows them. */
export const imageOptionFields = ['size', 'quality', 'n', 'outputFormat', 'background'] as const satisfies readonly ImageOptionField[];
// Compile-time check that the list names every field: a field added to ImageOptions must be added above.
export type AllImageOptionFieldsListed = ImageOptionField extends (typeof imageOptionFields)[number] ? true : never;
const allListed: AllImageOptionFieldsListed = true;
void allListed;

/**
 * Options as they arrive before validation — a setting, a keybinding's arguments, an agent's input, a
 * palette pick — with the same fields but values not yet checked (any string): validateRequest decides
 * and names the field (and the setting) in its message. A surface's overrides are a `Partial` of this.
 */
export type UncheckedOptions = { readonly [K in ImageOptionField]: ImageOptions[K] extends number ? number : string };
