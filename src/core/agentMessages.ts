import { describeError } from './errorMessages';
import { ImageApiError } from './errors';
import { estimateCost, formatCost, pricingFor, type CostFigure } from './pricing';
import type { GenerationRequest } from './types';
import { plural } from '../shared/labels';
import { plainText } from '../shared/plainText';

/** What one agent tool call will do, worked out before anything is sent (shown in the confirmation). */
export interface AgentPlan {
  readonly tool: 'generate' | 'edit';
  readonly request: GenerationRequest;
  /** Workspace-relative POSIX paths the images will be saved as (`-1`, `-2`… if taken by then). */
  readonly destinations: readonly string[];
  /** Workspace-relative path of the file the link is for. */
  readonly linkFrom?: string;
  /** Edits: workspace-relative paths of the source images and mask. */
  readonly sources?: readonly string[];
  readonly mask?: string;
  /** The estimate before sending (the host's, with the user's pricing); default the built-in rates'. */
  readonly estimate?: CostFigure;
}

export interface AgentSavedFile {
  /** Workspace-relative POSIX path. */
  readonly path: string;
  readonly width?: number;
  readonly height?: number;
}

export interface AgentOutcome {
  readonly plan: AgentPlan;
  readonly files: readonly AgentSavedFile[];
  readonly format: string;
  /** The link text for plan.linkFrom, in its language's syntax, relative to it. */
  readonly link?: { readonly language: string; readonly text: string };
  /** Token counts as recorded in the history. */
  readonly usage?: { readonly totalTokens?: number; readonly inputTokens?: number; readonly outputTokens?: number };
  readonly requestId?: string;
  /** What it cost, as every surface shows it (`$0.13`, `≈ $0.21 (estimate)`, with the balance drop). */
  readonly cost?: string;
  /** Why no picture is attached, or how big the attached one is. */
  readonly previewNote: string;
}

/** Markdown for a confirmation, every untrusted value (prompt, paths) escaped so it is literal text. */
export function confirmationMessage(plan: AgentPlan): { readonly title: string; readonly message: string } {
  const { request } = plan;
  const count = plural(request.n, 'image');
  const lines = [
    `**Prompt:** ${escapeMarkdown(request.prompt)}`,
    '',
    ...(plan.sources ? [`**Editing:** ${plan.sources.map(code).join(', ')}${plan.mask ? ` with mask ${code(plan.mask)}` : ''}`] : []),
    `**Saves:** ${plan.destinations.map(code).join(', ')} (never overwrites: a taken name gets \`-1\`, \`-2\`…)`,
    ...(plan.linkFrom ? [`**Link for:** ${code(plan.linkFrom)}`] : []),
    `**Size:** ${escapeMarkdown(request.size)} · **Quality:** ${request.quality ?? 'auto'} · **Count:** ${request.n} · **Format:** ${request.outputFormat ?? 'png'}`,
    `**Estimated cost:** ${escapeMarkdown(formatCost(estimateOf(plan)))} (from published gpt-image-2 prices; your gateway may charge differently)`,
  ];
  const verb = plan.tool === 'edit' ? 'Edit an image' : `Generate ${count}`;
  return { title: `${verb} with ${plainText(request.model)}?`, message: lines.join('  \n') };
}

/**
 * What the user agreed to: the confirmation's text with each destination reduced to its folder (a name
 * taken meanwhile gets `-1`, as the confirmation says). A call runs only while its plan still has it.
 */
export function planFingerprint(plan: AgentPlan): string {
  const folders = plan.destinations.map((destination) => destination.slice(0, Math.max(0, destination.lastIndexOf('/'))));
  return confirmationMessage({ ...plan, destinations: folders }).message;
}

/** The text result an agent reads: every saved path, the link, actual size, usage, request id. */
export function resultText(outcome: AgentOutcome): string {
  const { plan, files } = outcome;
  const request = plan.request;
  const lines = [
    `${plan.tool === 'edit' ? 'Edited and saved' : 'Saved'} ${plural(files.length, 'image')} into the workspace (paths relative to the workspace folder):`,
    ...files.map((file) => `- ${file.path}${file.width ? ` (${file.width}x${file.height} ${outcome.format})` : ''}`),
  ];
  if (outcome.link && plan.linkFrom) {
    lines.push(`Link for ${plan.linkFrom} (${outcome.link.language}, relative to it):`, outcome.link.text);
  }
  const actual = files[0]?.width ? `${files[0].width}x${files[0].height}` : 'unknown';
  lines.push(
    `Size: ${actual} (requested ${request.size}); quality: ${request.quality ?? 'auto'} (as requested; the API does not report it); format: ${outcome.format}`,
    `Usage: ${describeUsage(outcome.usage)}`,
    `Cost: ${outcome.cost ?? formatCost(estimateOf(plan))}`,
    `Request id: ${safeId(outcome.requestId)}`,
    `Preview: ${outcome.previewNote}`,
    'The files are recorded in the GPT Image history; nothing was overwritten.',
  );
  // Not plainText: the agent needs the paths and the link exactly as they are (a zero-width space in
  // `](` would break a Markdown link). Paths come from the workspace, the link from linkFormat (escaped
  // for its syntax), the request id is filtered; no server text reaches this.
  return lines.join('\n');
}

/**
 * An error as text a model can act on: what went wrong, what to do about it, and that nothing was saved.
 * The client redacted the key from every server text before this; the message is plain text too.
 */
export function agentErrorText(error: unknown, action: string): string {
  const description = describeError(error, { action });
  if (description.kind === 'cancelled') return 'Cancelled: nothing was saved.';
  const param = error instanceof ImageApiError && error.param ? `, field "${plainText(error.param)}"` : '';
  const advice: string[] = [];
  if (error instanceof ImageApiError && error.kind === 'validation') {
    advice.push('Fix the input and call the tool again.');
  }
  if (description.actions.includes('setApiKey')) {
    advice.push('Ask the user to run "GPT Image: Set API Key" from the Command Palette, then try again.');
  }
  if (description.actions.includes('openSettings') && !(error instanceof ImageApiError && error.kind === 'validation')) {
    advice.push('The user can check the GPT Image settings (gptImage.*).');
  }
  if (description.kind === 'unexpected') advice.push('The user can see details with "GPT Image: Show Log".');
  const kind = description.kind === 'unexpected' ? '' : ` ${description.kind}`;
  return `GPT Image${kind} error${param}: ${description.message} Nothing was saved.${advice.length ? ` ${advice.join(' ')}` : ''}`;
}

/** The text for "no key yet": the agent must not (and cannot) set it. */
export const noApiKeyText =
  'GPT Image error (auth): no API key is set, so nothing was sent or saved. Ask the user to run "GPT Image: Set API Key" from the Command Palette (or set WISGATE_API_KEY), then try again.';

function estimateOf(plan: AgentPlan): CostFigure {
  return plan.estimate ?? estimateCost(plan.request, pricingFor(plan.request.model).rates);
}

function describeUsage(usage: AgentOutcome['usage']): string {
  if (!usage?.totalTokens) return 'not reported';
  return `${usage.totalTokens} tokens (${usage.inputTokens ?? '?'} in, ${usage.outputTokens ?? '?'} out)`;
}

/** A request id is the server's text: only id-like characters reach the agent (no prompt injection). */
function safeId(id: string | undefined): string {
  if (!id) return 'not reported';
  return /^[\w.:-]{1,128}$/.test(id) ? id : 'not shown (unusual characters)';
}

const markdownSpecial = /[\\`*_{}[\]()#+\-.!<>|~&:@]/g;

/**
 * Every Markdown-active character escaped, line breaks joined: a prompt can't become a link or a heading.
 * `:` and `@` too: GFM (VS Code renders with marked, gfm on) autolinks a bare `https://…`, `www.…` or
 * `user@host.tld`, and a backslash before `:` (CommonMark escapes any ASCII punctuation) breaks the
 * `scheme://` it needs while rendering as a plain `:`.
 */
export function escapeMarkdown(text: string): string {
  return plainText(text).replace(markdownSpecial, '\\$&');
}

/** A path as inline code, with a fence longer than any backtick run inside. */
function code(text: string): string {
  const plain = plainText(text);
  const longest = Math.max(0, ...(plain.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${longest ? ' ' : ''}${plain}${longest ? ' ' : ''}${fence}`;
}
