import * as vscode from 'vscode';
import type { Log } from '../common/log';
import { agentErrorText, confirmationMessage, planFingerprint, type AgentPlan } from '../core/agentMessages';
import { ConfirmedCalls } from './confirmedCalls';
import { plural } from '../shared/labels';
import { agentToolAction, type AgentImageTools, type AgentToolName } from './agentImageTools';

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
export type LanguageModelTools = Readonly<Record<AgentToolName, ImageTool>>;

export function registerLanguageModelTools(tools: AgentImageTools, log: Log): { disposable: vscode.Disposable; tools: LanguageModelTools } {
  const instances: LanguageModelTools = { generate: new ImageTool('generate', tools), edit: new ImageTool('edit', tools) };
  const lm = vscode.lm as Partial<typeof vscode.lm> | undefined;
  if (typeof lm?.registerTool !== 'function') {
    log.info('This editor has no language model tools API (vscode.lm.registerTool); the agent tools are offered over MCP only.');
    return { disposable: new vscode.Disposable(() => undefined), tools: instances };
  }
  const registrations = (Object.keys(toolNames) as AgentToolName[]).map((tool) => lm.registerTool!(toolNames[tool], instances[tool]));
  return { disposable: vscode.Disposable.from(...registrations), tools: instances };
}

/** A tool as VS Code's agent mode calls it: prepareInvocation (the confirmation), then invoke. */
export class ImageTool implements vscode.LanguageModelTool<unknown> {
  private readonly confirmed = new ConfirmedCalls();

  constructor(
    private readonly tool: AgentToolName,
    private readonly tools: AgentImageTools,
  ) {}

  /**
   * Asks before spending: the prompt, exact paths, size, quality, count and the estimated cost. The
   * plan shown is remembered, and invoke runs that plan only; input that fails here is remembered as
   * refused, so invoke answers with the reason and never prepares (or sends) anything unconfirmed.
   */
  async prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<unknown>): Promise<vscode.PreparedToolInvocation> {
    const now = new Date();
    let plan: AgentPlan;
    try {
      plan = (await this.tools.withSlot(() => this.tools.prepare(this.tool, options.input, now))).plan;
    } catch (error) {
      // Invalid input costs nothing and needs no Allow: invoke answers with this text, sending nothing.
      this.confirmed.remember(options.input, { kind: 'refused', text: agentErrorText(error, agentToolAction(this.tool)) });
      return { invocationMessage: 'GPT Image: the request was refused (nothing is sent)' };
    }
    this.confirmed.remember(options.input, { kind: 'plan', now, fingerprint: planFingerprint(plan) });
    const { title, message } = confirmationMessage(plan);
    return {
      invocationMessage: `${plan.tool === 'edit' ? 'Editing' : 'Generating'} ${plural(plan.request.n, 'image')} into ${plan.destinations[0]}${plan.destinations.length > 1 ? ' …' : ''}`,
      confirmationMessages: { title, message: plainMarkdown(message) },
    };
  }

  async invoke(
    options: vscode.LanguageModelToolInvocationOptions<unknown>,
    token: vscode.CancellationToken,
  ): Promise<vscode.LanguageModelToolResult> {
    const confirmed = this.confirmed.take(options.input);
    if (confirmed?.kind !== 'plan') {
      const text = confirmed?.text ?? notConfirmedText;
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
    }
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    const dataPart = dataPartApi();
    try {
      const result = await this.tools.run(this.tool, options.input, controller.signal, {
        confirmCost: false,
        imagesByDefault: true,
        canAttachImages: dataPart !== undefined,
        now: confirmed.now,
        confirmed: confirmed.fingerprint,
      });
      const parts: unknown[] = [new vscode.LanguageModelTextPart(result.text)];
      for (const image of result.images) parts.push(dataPart!.image(image.bytes, image.mimeType));
      return new vscode.LanguageModelToolResult(parts as vscode.LanguageModelTextPart[]);
    } finally {
      subscription.dispose();
    }
  }
}

/** Markdown rendered as text: no command links, no HTML, no theme icons. */
export function plainMarkdown(message: string): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(message);
  markdown.isTrusted = false;
  markdown.supportHtml = false;
  markdown.supportThemeIcons = false;
  return markdown;
}

/** invoke without a confirmation of this input (the host skipped prepareInvocation, or it expired). */
export const notConfirmedText =
  'GPT Image error (validation): this call was not confirmed by the user (or its confirmation expired), so nothing was sent or saved. Call the tool again.';
