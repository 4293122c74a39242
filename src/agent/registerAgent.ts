import * as vscode from 'vscode';
import { showError } from '../common/errorReporting';
import { commandIds } from '../common/ids';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import type { ApiKeyStore } from '../common/secrets';
import type { GenerationService } from '../generation/generationService';
import { AgentImageTools } from './agentImageTools';
import { registerLanguageModelTools, type LanguageModelTools } from './lmTools';
import { mcpClientConfig, McpServerHost, registerMcpServer } from './mcpProvider';
import { toolDefinitionsFrom } from './toolDefinitions';

export interface AgentDeps {
  readonly generation: GenerationService;
  readonly keys: ApiKeyStore;
  readonly log: Log;
}

/** What the integration tests reach through the TestApi. */
export interface AgentApi {
  readonly tools: AgentImageTools;
  readonly mcp: McpServerHost;
  /** The language model tools as registered (prepareInvocation, invoke). */
  readonly lmTools: LanguageModelTools;
}

/**
 * The agent surfaces: language model tools (Copilot's agent mode), the MCP server for VS Code, Cursor
 * and agents outside the editor, and GPT Image: Copy MCP Server Config. Nothing starts here: the MCP
 * server listens only once something asks for it.
 */
export function registerAgent(context: vscode.ExtensionContext, deps: AgentDeps): { disposable: vscode.Disposable; api: AgentApi } {
  const version = String(context.extension.packageJSON.version ?? '0.0.0');
  const tools = new AgentImageTools(deps);
  const mcp = new McpServerHost(tools, toolDefinitionsFrom(context.extension.packageJSON), version, deps.log);
  const lm = registerLanguageModelTools(tools, deps.log);
  const disposable = vscode.Disposable.from(
    mcp,
    lm.disposable,
    registerMcpServer(mcp, deps.log, version),
    vscode.commands.registerCommand(commandIds.copyMcpConfig, () => copyMcpConfigCommand(mcp, deps.log)),
  );
  return { disposable, api: { tools, mcp, lmTools: lm.tools } };
}

/** Copy MCP Server Config: URL and token of this window's server, for Claude Code, Cursor, Codex… */
async function copyMcpConfigCommand(mcp: McpServerHost, log: Log): Promise<string | undefined> {
  try {
    const config = mcpClientConfig(await mcp.server());
    await vscode.env.clipboard.writeText(config);
    void notify(
      'info',
      'GPT Image: copied the MCP server config (URL and bearer token) to the clipboard. It is valid while this window is open; another window or a restart gets a new port and token, so copy it again then. Treat the token like a password: it lets an agent generate images (billed to your key) into this workspace.',
    );
    return config;
  } catch (error) {
    void showError(error, log, { action: 'Copy MCP Server Config' });
    return undefined;
  }
}
