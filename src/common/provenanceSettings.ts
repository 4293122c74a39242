import * as vscode from 'vscode';
import { configSection } from './config';
import { settingDefaults } from './settingDefaults';
import type { ProvenanceStamp } from '../core/provenance/stamp';

/** The provenance settings of issue #15 §4. */
export interface ProvenanceSettings {
  /** `gptImage.embedPrompt` (default true): the prompt and options go into each unsigned PNG. */
  readonly embedPrompt: boolean;
  /** `gptImage.historyFile` (default false): each generation is appended to `<assetsFolder>/.gpt-image-history.jsonl`. */
  readonly historyFile: boolean;
}

/**
 * Privacy: both settings put your prompts into files of the repository you work in. A team may turn
 * them on in its `.vscode/settings.json`, but an explicit `false` anywhere (your user settings, the
 * workspace, the folder) wins, so a repository can never make private prompts travel with its files.
 */
export function readProvenanceSettings(resource?: vscode.Uri): ProvenanceSettings {
  const config = vscode.workspace.getConfiguration(configSection, resource ?? null);
  return { embedPrompt: flag(config, 'embedPrompt', settingDefaults.embedPrompt), historyFile: flag(config, 'historyFile', settingDefaults.historyFile) };
}

function flag(config: vscode.WorkspaceConfiguration, key: string, fallback: boolean): boolean {
  const inspected = config.inspect<unknown>(key);
  const user = inspected?.globalValue;
  const workspace = [inspected?.workspaceValue, inspected?.workspaceFolderValue];
  const values = [user, ...workspace].filter((value): value is boolean => typeof value === 'boolean');
  if (values.includes(false)) return false;
  // An untrusted workspace may turn these off, never on.
  if (!vscode.workspace.isTrusted) return typeof user === 'boolean' ? user : fallback;
  return values.includes(true) ? true : fallback;
}

/**
 * What the engine stamps into unsigned PNGs, or undefined with gptImage.embedPrompt off: the tool name
 * (`userAgent` up to its first space) and, for an edit, the workspace-relative parents (issue #13).
 */
export function provenanceStamp(resource: vscode.Uri | undefined, userAgent: string, parents?: readonly string[]): ProvenanceStamp | undefined {
  if (!readProvenanceSettings(resource).embedPrompt) return undefined;
  const [tool = userAgent] = userAgent.split(' ');
  return { tool, ...(parents?.length && { parents }) };
}
