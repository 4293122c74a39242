import * as vscode from 'vscode';
import { commandIds } from '../common/ids';
import type { Log } from '../common/log';
import type { ApiKeyStore } from '../common/secrets';
import type { GenerationService } from '../generation/generationService';
import { clearApiKeyCommand, setApiKeyCommand } from './apiKey';
import { editImageCommand } from './editImage';
import { generateCommand, type GenerateArgs } from './generateImage';
import { insertFromExplorerCommand, insertImageCommand } from './insertImage';

export interface CommandDeps {
  readonly generation: GenerationService;
  readonly keys: ApiKeyStore;
  readonly log: Log;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(commandIds.generate, (args?: GenerateArgs) => generateCommand(deps, args)),
    vscode.commands.registerCommand(commandIds.setApiKey, () => setApiKeyCommand(deps.keys, deps.log, () => deps.generation.refreshBalanceNow())),
    vscode.commands.registerCommand(commandIds.clearApiKey, () => clearApiKeyCommand(deps.keys, deps.log)),
    vscode.commands.registerCommand(commandIds.insertImage, () => insertImageCommand(deps.log)),
    vscode.commands.registerCommand(commandIds.insertImageFromExplorer, (uri?: vscode.Uri, uris?: vscode.Uri[]) =>
      insertFromExplorerCommand(deps.log, uris?.length ? uris : uri ? [uri] : []),
    ),
    vscode.commands.registerCommand(commandIds.showLog, () => deps.log.show()),
    vscode.commands.registerCommand(commandIds.editImage, (first?: unknown, second?: unknown) => editImageCommand(deps, first, second)),
  );
}
