import { defaultSize, validatePrompt, validateSize } from '../shared/optionRules';
import {
  backgrounds,
  defaultModel,
  moderations,
  outputFormats,
  qualities,
  type Background,
  type Moderation,
  type OutputFormat,
  type Quality,
} from '../shared/options';
import { quoteValue } from '../shared/plainText';
import { ImageApiError } from './errors';
import type { GenerationInput, GenerationRequest } from './types';

/** One thing wrong with a GenerationInput; `field` is the GenerationInput key (e.g. `outputFormat`). */
interface ValidationProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * Turns raw input into a request the client can send, applying defaults (model gpt-image-2, n 1,
 * size 1024x1024). Throws ImageApiError('validation') naming the first bad field in `param`, in field
 * order: prompt, model, n, size, quality, outputFormat, background, outputCompression, moderation, user.
 */
export function validateRequest(input: GenerationInput): GenerationRequest {
  const { problems, request } = check(input);
  const first = problems[0];
  if (first) throw new ImageApiError('validation', first.message, { param: first.field });
  return request;
}

interface Checked {
  readonly problems: ValidationProblem[];
  readonly request: GenerationRequest;
}

function check(input: GenerationInput): Checked {
  const problems: ValidationProblem[] = [];
  const fail = (field: string, message: string): undefined => {
    problems.push({ field, message });
    return undefined;
  };

  let prompt = '';
  if (typeof input.prompt !== 'string') {
    fail('prompt', 'Describe the image you want: the prompt must be text.');
  } else {
    const problem = validatePrompt(input.prompt);
    if (problem) fail('prompt', problem);
    prompt = input.prompt.trim();
  }

  let model = defaultModel;
  if (isSet(input.model)) {
    if (typeof input.model !== 'string' || input.model.trim() === '') {
      fail('model', `Model must be a model ID such as ${defaultModel}.`);
    } else {
      model = input.model.trim();
    }
  }

  let n = 1;
  if (isSet(input.n)) {
    if (typeof input.n !== 'number' || !Number.isInteger(input.n) || input.n < 1 || input.n > 10) {
      fail('n', `Image count (n) must be a whole number from 1 to 10, not ${describe(input.n)}.`);
    } else {
      n = input.n;
    }
  }

  let size = defaultSize;
  if (isSet(input.size)) {
    if (typeof input.size !== 'string') {
      fail('size', `Size must be text such as "1024x1024", not ${describe(input.size)}.`);
    } else {
      const problem = validateSize(input.size.trim(), model);
      if (problem) fail('size', problem);
      size = input.size.trim();
    }
  }

  const quality = oneOf<Quality>(input.quality, qualities, 'quality', 'Quality', fail);
  const outputFormat = oneOf<OutputFormat>(input.outputFormat, outputFormats, 'outputFormat', 'Output format', fail);
  const formatSent = outputFormat ?? 'png';

  const background = oneOf<Background>(input.background, backgrounds, 'background', 'Background', fail);
  if (background === 'transparent' && formatSent === 'jpeg') {
    // JPEG has no alpha channel; the API answers 400 for this combination.
    fail('background', 'Background "transparent" needs output format png or webp, not jpeg.');
  }

  let outputCompression: number | undefined;
  if (isSet(input.outputCompression)) {
    const value = input.outputCompression;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
      fail('outputCompression', `Output compression must be a whole number from 0 to 100, not ${describe(value)}.`);
    } else if (formatSent === 'png') {
      fail('outputCompression', 'Output compression applies only to jpeg and webp output, not png.');
    } else {
      outputCompression = value;
    }
  }

  const moderation = oneOf<Moderation>(input.moderation, moderations, 'moderation', 'Moderation', fail);

  let user: string | undefined;
  if (isSet(input.user)) {
    if (typeof input.user !== 'string') fail('user', `User must be text (an end-user ID), not ${describe(input.user)}.`);
    else if (input.user !== '') user = input.user;
  }

  const request: GenerationRequest = {
    prompt,
    model,
    n,
    size,
    ...(quality !== undefined && { quality }),
    ...(background !== undefined && { background }),
    ...(outputFormat !== undefined && { outputFormat }),
    ...(outputCompression !== undefined && { outputCompression }),
    ...(moderation !== undefined && { moderation }),
    ...(user !== undefined && { user }),
  };
  return { problems, request };
}

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  field: string,
  label: string,
  fail: (field: string, message: string) => undefined,
): T | undefined {
  if (!isSet(value)) return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  return fail(field, `${label} ${describe(value)} is not allowed: use ${allowed.join(', ')}.`);
}

/** Null and undefined mean "not set": settings and JSON both produce them for absent values. */
function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** A bad value for a message: strings quoted, shortened and plain (they may come from a workspace). */
function describe(value: unknown): string {
  if (typeof value === 'string') return quoteValue(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : typeof value;
}
