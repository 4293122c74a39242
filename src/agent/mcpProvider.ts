import * as vscode from 'vscode';
import { Disposable } from '../common/dispose';
import type { Log } from '../common/log';
import type { RunningMcpServer } from './mcpServer';
import type { McpToolDefinition } from './toolDefinitions';
import type { AgentImageTools, AgentToolName } from './agentImageTools';
import { toolNames } from './lmTools';
import { registerWithCursor, type CursorMcpApi } from './cursorRegistration';

/** The id of the `mcpServerDefinitionProviders` contribution in package.json. */
export const mcpProviderId = 'gptImage.mcpServer';
export const mcpServerLabel = 'GPT Image Studio';
/** The server's name in copied configs and in Cursor. */
export const mcpServerName = 'gpt-image-studio';

type McpModule = typeof import('./mcpServer');


/**
 * Owns this window's MCP server: started on first need (VS Code asking for the definitions, Copy MCP
 * Server Config, or Cursor), on 127.0.0.1 with a fresh token, and stopped with the window. The SDK is
 * bundled as dist/mcp.js and loaded only then, so activation never pays for it.
 */
export class McpServerHost extends Disposable {
  private starting: Promise<RunningMcpServer> | undefined;
  private running: RunningMcpServer | undefined;
  private disposed = false;

  constructor(
    private readonly tools: AgentImageTools,
    private readonly definitions: readonly McpToolDefinition[],
    private readonly version: string,
    private readonly log: Log,
  ) {
    super();
  }

  /** The running server, started now if need be. */
  server(): Promise<RunningMcpServer> {
    if (this.disposed) return Promise.reject(new Error('The GPT Image MCP server has stopped with its window.'));
    this.starting ??= this.start().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  override dispose(): void {
    this.disposed = true;
    void this.running?.close();
    super.dispose();
  }

  private async start(): Promise<RunningMcpServer> {
    const { startMcpServer } = require('./mcp.js') as McpModule;
    const nameOf = new Map(Object.entries(toolNames).map(([tool, name]) => [name, tool as AgentToolName]));
    const server = await startMcpServer(
      {
        tools: this.definitions,
        // MCP clients approve in their own way (the cost dialog still applies); no picture unless asked for.
        call: (name, args, signal) => this.tools.run(nameOf.get(name) ?? 'generate', args, signal, { confirmCost: true, imagesByDefault: false, canAttachImages: true }),
        // The SDK client's GET for an event stream is expected (405 here): info, not a warning.
        log: (message) => (message.startsWith('MCP: refused GET 405') ? this.log.info(message) : this.log.warn(message)),
      },
      { version: this.version },
    );
    if (this.disposed) {
      await server.close();
      throw new Error('The window closed while the MCP server started.');
    }
    this.running = server;
    // The URL only: the token is a credential.
    this.log.info(`MCP server for agents listening on ${server.url} (bearer token required; valid while this window is open)`);
    return server;
  }
}

export function authorizationHeaders(server: RunningMcpServer): Record<string, string> {
  return { Authorization: `Bearer ${server.token}` };
}

/**
 * Tells VS Code (1.101+) about the server, with its token in the headers, and Cursor too where its
 * `vscode.cursor.mcp` API exists. Hosts with neither just don't get the registration.
 */
export function registerMcpServer(host: McpServerHost, log: Log, version: string): vscode.Disposable {
  const disposables: vscode.Disposable[] = [];
  const lm = vscode.lm as Partial<typeof vscode.lm> | undefined;
  const httpDefinition = (vscode as Partial<typeof vscode>).McpHttpServerDefinition;
  if (typeof lm?.registerMcpServerDefinitionProvider === 'function' && httpDefinition) {
    disposables.push(
      lm.registerMcpServerDefinitionProvider(mcpProviderId, {
        provideMcpServerDefinitions: async () => {
          const server = await host.server();
          return [new httpDefinition(mcpServerLabel, vscode.Uri.parse(server.url), authorizationHeaders(server), version)];
        },
        resolveMcpServerDefinition: (definition) => definition,
      }),
    );
  } else {
    log.info('This editor has no MCP server definition API; use GPT Image: Copy MCP Server Config to connect agents.');
  }
  const cursor = (vscode as unknown as { cursor?: { mcp?: Partial<CursorMcpApi> } }).cursor?.mcp;
  if (typeof cursor?.registerServer === 'function') {
    const server = host.server().then((running) => ({ url: running.url, headers: authorizationHeaders(running) }));
    disposables.push(registerWithCursor(cursor as CursorMcpApi, mcpServerName, server, (message) => log.warn(message)));
  }
  return new vscode.Disposable(() => disposables.forEach((disposable) => disposable.dispose()));
}

/** What Copy MCP Server Config puts on the clipboard: the mcpServers form Claude Code, Cursor and others read. */
export function mcpClientConfig(server: RunningMcpServer): string {
  return JSON.stringify(
    { mcpServers: { [mcpServerName]: { type: 'http', url: server.url, headers: authorizationHeaders(server) } } },
    null,
    2,
  );
}
