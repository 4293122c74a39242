import * as vscode from 'vscode';
import type { Log } from '../common/log';
import { confirmationMessage } from '../core/agentMessages';
import { plural } from '../shared/labels';
import type { AgentImageTools, AgentToolName } from './agentImageTools';

/** Tool names: a public contract (package.json `languageModelTools`, prompts, the MCP server). */
export const toolNames: Readonly<Record<AgentToolName, string>> = {
  generate: 'gptImage_generateImage',
  edit: 'gptImage_editImage',
};

/** `vscode.LanguageModelDataPart` (1.106+), absent from the 1.101 API this extension targets. */
interface DataPartApi {
  image(data: Uint8Array, mimeType: string): unknown;
}

function dataPartApi(): DataPartApi | undefined {
  const candidate = (vscode as unknown as { LanguageModelDataPart?: Partial<DataPartApi> }).LanguageModelDataPart;
  return typeof candidate?.image === 'function' ? (candidate as DataPartApi) : undefined;
}

/**
 * Registers the agent tools with VS Code's language model API (Copilot's agent mode and any chat
 * participant). Hosts without `vscode.lm.registerTool` (some forks) get nothing here and keep every
 * other feature; the MCP server still offers the same tools there.
 */
export function registerLanguageModelTools(tools: AgentImageTools, log: Log): vscode.Disposable {
  const lm = vscode.lm as Partial<typeof vscode.lm> | undefined;
  if (typeof lm?.registerTool !== 'function') {
    log.info('This editor has no language model tools API (vscode.lm.registerTool); the agent tools are offered over MCP only.');
    return new vscode.Disposable(() => undefined);
  }
  const registrations = (Object.keys(toolNames) as AgentToolName[]).map((tool) =>
    lm.registerTool!(toolNames[tool], new ImageTool(tool, tools)),
  );
  return vscode.Disposable.from(...registrations);
}

class ImageTool implements vscode.LanguageModelTool<unknown> {
  constructor(
    private readonly tool: AgentToolName,
    private readonly tools: AgentImageTools,
  ) {}

  /** Asks before spending: the prompt, exact paths, size, quality, count and the estimated cost. */
  async prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<unknown>): Promise<vscode.PreparedToolInvocation> {
    try {
      const { plan } = await this.tools.prepare(this.tool, options.input);
      const { title, message } = confirmationMessage(plan);
      const markdown = new vscode.MarkdownString(message);
      markdown.isTrusted = false;
      markdown.supportHtml = false;
      markdown.supportThemeIcons = false;
      return {
        invocationMessage: `${plan.tool === 'edit' ? 'Editing' : 'Generating'} ${plural(plan.request.n, 'image')} into ${plan.destinations[0]}${plan.destinations.length > 1 ? ' …' : ''}`,
        confirmationMessages: { title, message: markdown },
      };
    } catch {
      // Invalid input costs nothing: invoke answers with what to fix, no confirmation needed.
      return { invocationMessage: 'Checking the image request' };
    }
  }

  async invoke(
    options: vscode.LanguageModelToolInvocationOptions<unknown>,
    token: vscode.CancellationToken,
  ): Promise<vscode.LanguageModelToolResult> {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    const dataPart = dataPartApi();
    try {
      const result = await this.tools.run(this.tool, options.input, controller.signal, dataPart !== undefined, false);
      const parts: unknown[] = [new vscode.LanguageModelTextPart(result.text)];
      for (const image of result.images) parts.push(dataPart!.image(image.bytes, image.mimeType));
      return new vscode.LanguageModelToolResult(parts as vscode.LanguageModelTextPart[]);
    } finally {
      subscription.dispose();
    }
  }
}
