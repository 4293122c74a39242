/**
 * Registration with Cursor's extension API (`vscode.cursor.mcp`), kept free of `vscode` so it is tested
 * in plain mocha. The server starts asynchronously, so the window (or the extension) may be disposed
 * before it is up: the registration is tracked, a late one is undone at once, and dispose always
 * unregisters what was registered.
 */
export interface CursorMcpApi {
  registerServer(config: { name: string; server: { url: string; headers?: Record<string, string> } }): void;
  unregisterServer?(name: string): void;
}

export function registerWithCursor(
  cursor: CursorMcpApi,
  name: string,
  server: Promise<{ readonly url: string; readonly headers: Record<string, string> }>,
  warn: (message: string) => void,
): { dispose(): void } {
  let disposed = false;
  let registered = false;
  const unregister = (): void => {
    if (!registered) return;
    registered = false;
    try {
      cursor.unregisterServer?.(name);
    } catch (error) {
      warn(`Unregistering the MCP server from Cursor failed: ${String(error)}`);
    }
  };
  server.then(
    ({ url, headers }) => {
      if (disposed) return; // the window went first: never register a server that is stopping
      try {
        cursor.registerServer({ name, server: { url, headers } });
        registered = true;
      } catch (error) {
        warn(`Registering the MCP server with Cursor failed: ${String(error)}`);
      }
    },
    (error: unknown) => {
      if (!disposed) warn(`Registering the MCP server with Cursor failed: ${String(error)}`);
    },
  );
  return {
    dispose: () => {
      disposed = true;
      unregister();
    },
  };
}
