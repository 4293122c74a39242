/**
 * The agent tools as MCP lists them, read from package.json's `languageModelTools` contribution: one
 * definition (name, model description, input schema) serves both protocols. No `vscode` and no SDK
 * here, so the extension bundle and the plain-mocha tests can both use it.
 */
export interface McpToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: { readonly type: 'object'; readonly [key: string]: unknown };
}

/** The tools as MCP lists them, from the languageModelTools contribution (one definition, two protocols). */
export function toolDefinitionsFrom(packageJson: unknown): McpToolDefinition[] {
  const contributes = (packageJson as { contributes?: { languageModelTools?: unknown[] } }).contributes;
  return (contributes?.languageModelTools ?? []).map((raw) => {
    const tool = raw as { name: string; modelDescription: string; inputSchema: McpToolDefinition['inputSchema'] };
    return { name: tool.name, description: tool.modelDescription, inputSchema: tool.inputSchema };
  });
}

