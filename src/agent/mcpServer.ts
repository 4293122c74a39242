import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpToolDefinition } from './toolDefinitions';

/**
 * The MCP server of the agent tools: Streamable HTTP on 127.0.0.1 at a random port, inside the
 * extension host, so the API key never leaves it. No `vscode` here: it is bundled on its own
 * (dist/mcp.js, loaded when the server first starts) and tested in plain mocha.
 *
 * Security, before the SDK sees a byte:
 * - `Host` must be 127.0.0.1 or localhost with our port, and an `Origin`, when sent, the same: a web
 *   page that rebinds a DNS name to 127.0.0.1 (or just posts to it) is refused (403).
 * - `Authorization: Bearer <token>`, compared in constant time (SHA-256 of both, timingSafeEqual); the
 *   token is 256 random bits made per server, i.e. per window (401 otherwise).
 * - Bodies over {@link maxBodyBytes} are refused (413) while they stream in, never buffered whole.
 * Stateless (a Server and transport per request, as the SDK recommends for this): concurrent calls
 * don't share state, and nothing accumulates between requests.
 */


export interface McpToolOutcome {
  readonly text: string;
  readonly isError: boolean;
  readonly images: readonly { readonly bytes: Uint8Array; readonly mimeType: string }[];
}

export interface McpToolHost {
  readonly tools: readonly McpToolDefinition[];
  /** Runs a tool; `signal` aborts when the client disconnects or the server stops. */
  call(name: string, args: unknown, signal: AbortSignal): Promise<McpToolOutcome>;
  /** One line per refused or failed request; never the token. */
  log?(message: string): void;
}

export interface RunningMcpServer {
  /** `http://127.0.0.1:<port>/mcp` */
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

/** A tool call's JSON is a few kilobytes; 1 MiB leaves room and stops anyone streaming gigabytes at us. */
export const maxBodyBytes = 1024 * 1024;
export const mcpPath = '/mcp';
/** While a call runs, a progress notification this often (when the client sent a progressToken). */
const progressEveryMs = 5000;

/** How long a client may take to send its request, and how many connections it may hold. */
export interface McpServerLimits {
  /** Headers, then the whole body, must arrive within this (408 otherwise); the answer may take minutes. */
  readonly requestTimeoutMs: number;
  /** Open connections at once; past it new ones are closed (agents need a few, never dozens). */
  readonly maxConnections: number;
  /** How often Node checks the request timeout (tests make it short). */
  readonly checkEveryMs: number;
}

export const defaultMcpLimits: McpServerLimits = { requestTimeoutMs: 30_000, maxConnections: 16, checkEveryMs: 5_000 };

export async function startMcpServer(
  host: McpToolHost,
  info: { readonly version: string },
  limits: McpServerLimits = defaultMcpLimits,
): Promise<RunningMcpServer> {
  const token = randomBytes(32).toString('base64url');
  const tokenDigest = digest(token);
  const stopping = new AbortController();
  const http: HttpServer = createServer({ connectionsCheckingInterval: limits.checkEveryMs, requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.requestTimeoutMs }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      host.log?.(`MCP request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) reply(res, 500, 'Internal error');
      else res.destroy();
    });
  });
  // requestTimeout covers receiving the request only (Node stops timing it once the body is complete),
  // so a slow or stalled body is cut off while a generation may still answer after minutes.
  http.maxConnections = limits.maxConnections;
  // Node starts the request/headers timeouts only once a request begins, so connections that send
  // nothing (or a byte) would hold the cap forever: each must start a request within the timeout,
  // and one left idle after an answer (keep-alive) goes after at most the same time.
  http.keepAliveTimeout = Math.min(http.keepAliveTimeout, limits.requestTimeoutMs);
  const awaitingRequest = new WeakMap<Socket, NodeJS.Timeout>();
  http.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), limits.requestTimeoutMs);
    awaitingRequest.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  http.on('request', (req: IncomingMessage) => {
    clearTimeout(awaitingRequest.get(req.socket));
    awaitingRequest.delete(req.socket);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refuse = (status: number, why: string, headers: Record<string, string> = {}, reason = why): void => {
      host.log?.(`MCP: refused ${req.method ?? '?'} ${status} (${reason})`);
      reply(res, status, why, { connection: 'close', ...headers });
      discard(req);
    };
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return refuse(403, 'Forbidden host');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) return refuse(403, 'Forbidden origin');
    if ((req.url ?? '').split('?')[0] !== mcpPath) return refuse(404, 'Not found');
    // The scheme is case-insensitive (RFC 7235 §2.1): `bearer`, `BEARER` work too.
    const given = /^Bearer +([A-Za-z0-9_-]{1,200}) *$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(given), tokenDigest)) {
      return refuse(401, 'Unauthorized', { 'www-authenticate': 'Bearer realm="gpt-image-studio"' });
    }
    // Stateless Streamable HTTP has no stream to GET (SSE) and no session to DELETE: 405, as the SDK's
    // stateless example does, so nobody holds a connection open on an event stream that never speaks.
    if (req.method !== 'POST') {
      return refuse(405, JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this server is stateless; send JSON-RPC requests with POST.' }, id: null }), {
        allow: 'POST',
        'content-type': 'application/json',
      }, 'method not allowed: stateless server, POST only');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) return refuse(413, 'Payload too large', { connection: 'close' });

    let body: unknown;
    const text = await readBody(req, maxBodyBytes);
    if (text === undefined) return refuse(413, 'Payload too large', { connection: 'close' });
    try {
      body = JSON.parse(text);
    } catch {
      reply(res, 400, JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null }), {
        'content-type': 'application/json',
      });
      return;
    }
    // One message per POST: a batch of 50 tools/call would start 50 calls from one request.
    if (Array.isArray(body)) {
      host.log?.('MCP: refused a JSON-RPC batch');
      reply(res, 400, JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request: JSON-RPC batches are not supported; send one message per request.' }, id: null }), {
        'content-type': 'application/json',
      });
      return;
    }
    // Aborts the call when the client goes away (its way of cancelling here) or the window closes.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, stopping.signal]);
    const server = mcpServerFor(host, info.version, signal);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return {
    url: `http://127.0.0.1:${port}${mcpPath}`,
    token,
    close: async () => {
      stopping.abort();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function mcpServerFor(host: McpToolHost, version: string, signal: AbortSignal): Server {
  const server = new Server({ name: 'gpt-image-studio', version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: host.tools.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    if (!host.tools.some((tool) => tool.name === name)) {
      return { content: [{ type: 'text', text: `Unknown tool "${name.slice(0, 60)}". The tools are ${host.tools.map((tool) => tool.name).join(', ')}.` }], isError: true };
    }
    const progressToken = request.params._meta?.progressToken;
    const started = Date.now();
    const timer =
      progressToken === undefined
        ? undefined
        : setInterval(() => {
            const seconds = Math.round((Date.now() - started) / 1000);
            void extra
              .sendNotification({ method: 'notifications/progress', params: { progressToken, progress: seconds, message: `Generating… ${seconds} s` } })
              .catch(() => undefined);
          }, progressEveryMs);
    try {
      const outcome = await host.call(name, args ?? {}, AbortSignal.any([signal, extra.signal]));
      return {
        content: [
          { type: 'text', text: outcome.text },
          ...outcome.images.map((image) => ({ type: 'image' as const, data: Buffer.from(image.bytes).toString('base64'), mimeType: image.mimeType })),
        ],
        isError: outcome.isError,
      };
    } finally {
      if (timer) clearInterval(timer);
    }
  });
  return server;
}

/** Reads and drops the rest of a refused request's body, up to the limit; past it the connection goes. */
function discard(req: IncomingMessage): void {
  let size = 0;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBodyBytes) req.destroy();
  });
  req.resume();
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/** The body as text, or undefined once it passes `limit` bytes (then the rest is not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      chunks.length = 0;
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(size <= limit ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.once('error', reject);
  });
}
