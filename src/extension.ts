import * as vscode from 'vscode';
import { registerAgent, type AgentApi } from './agent/registerAgent';
import { registerCommands } from './commands/registerCommands';
import { GenerationService } from './generation/generationService';
import { HistoryStore } from './generation/history';
import { Log } from './common/log';
import { NetworkSettings } from './common/networkSettings';
import { registerStudio } from './studio/registerStudio';
import { registerEditorFeatures } from './editor/registerEditor';
import { registerSpendStatus } from './generation/spendStatusBar';
import { ApiKeyStore } from './common/secrets';

/** Test-only surface, returned only when VS Code runs the extension's own tests (never the key itself). */
export interface TestApi {
  readonly keys: ApiKeyStore;
  readonly generation: GenerationService;
  readonly history: HistoryStore;
  readonly log: Log;
  readonly network: NetworkSettings;
  readonly agent: AgentApi;
}

export function activate(context: vscode.ExtensionContext): TestApi | undefined {
  const started = performance.now();
  const log = new Log();
  const keys = new ApiKeyStore(context.secrets);
  const version = String(context.extension.packageJSON.version ?? '0.0.0');
  const history = new HistoryStore(context.workspaceState);
  const network = new NetworkSettings(log);
  const generation = new GenerationService(keys, log, `gpt-image-studio/${version} vscode/${vscode.version}`, history, context.globalState, network);
  const agent = registerAgent(context, { generation, keys, log });
  context.subscriptions.push(
    log,
    network,
    keys,
    generation,
    registerCommands({ generation, keys, log }),
    registerStudio(context, { generation, keys, log }),
    registerEditorFeatures({ generation, log }),
    registerSpendStatus(generation, keys),
    agent.disposable,
  );
  // The e2e runner reads this line to report the real activation time (npm run bench shows it too).
  log.info(`GPT Image Studio ${version} activated in ${(performance.now() - started).toFixed(1)} ms`);
  return context.extensionMode === vscode.ExtensionMode.Test ? { keys, generation, history, log, network, agent: agent.api } : undefined;
}

export function deactivate(): void {}
