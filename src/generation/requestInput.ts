import type * as vscode from 'vscode';
import { readConfig, settingForField } from '../common/config';
import { ImageApiError } from '../core/errors';
import type { GenerationInput } from '../core/types';
import type { GenerationOverrides } from './generationService';

/** The request fields from settings, with a surface's overrides. */
export function inputFor(prompt: string, overrides: GenerationOverrides, resource: vscode.Uri | undefined): GenerationInput {
  const config = readConfig(resource);
  return {
    prompt,
    model: config.model,
    n: overrides.n ?? config.count,
    size: overrides.size ?? config.size,
    quality: overrides.quality ?? config.quality,
    outputFormat: overrides.outputFormat ?? config.outputFormat,
    background: overrides.background ?? config.background,
  };
}

/** Validation messages name request fields; when the value came from settings, name the setting too. */
export function withSettingHint(error: unknown, overrides: GenerationOverrides): unknown {
  if (!(error instanceof ImageApiError) || !error.param) return error;
  const setting = settingForField[error.param];
  if (error.param in overrides || !setting) return error;
  return new ImageApiError('validation', `${error.message.replace(/\.$/, '')} (setting ${setting})`, {
    param: error.param,
  });
}
