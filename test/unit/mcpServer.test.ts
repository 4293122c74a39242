import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { generateAndSave } from '../../src/core/engine';
import { defaultMcpLimits, maxBodyBytes, startMcpServer, type McpToolHost, type RunningMcpServer } from '../../src/agent/mcpServer';
import { connect as netConnect, type Socket } from 'node:net';
import { toolDefinitionsFrom } from '../../src/agent/toolDefinitions';

import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';

const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const apiKey = 'sk-mcp-unit-key-1234567890';

/** A raw HTTP request, to send what no well-behaved client would (wrong Host, foreign Origin, huge bodies). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

suite('MCP server (SDK client over real loopback HTTP)', () => {
  let images: FakeImageServer;
  let server: RunningMcpServer;
  let workspace: string;
  const logged: string[] = [];

  suiteSetup(async () => {
    images = await startFakeImageServer({ requireKey: apiKey });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-mcp-'));
    // A real host: the core engine against the fixture server, saving into a temp workspace. (The
    // extension's own host, AgentImageTools, is exercised by the integration suite.)
    const host: McpToolHost = {
      tools: toolDefinitionsFrom(manifest),
      log: (line) => logged.push(line),
      call: async (_name, args, signal) => {
        calls++;
        const prompt = (args as { prompt: string }).prompt;
        const { files } = await generateAndSave(
          { model: 'gpt-image-2', prompt, n: 1, size: '1024x1024' },
          { baseUrl: images.baseUrl, apiKey },
          { kind: 'assets', workspaceRoot: workspace, assetsFolder: 'assets' },
          { signal },
        );
        return { text: `Saved ${path.relative(workspace, files[0])}`, isError: false, images: [{ bytes: fs.readFileSync(files[0]), mimeType: 'image/png' }] };
      },
    };
    server = await startMcpServer(host, { version: '0.0.0-test' });
  });

  let calls = 0;

  suiteTeardown(async () => {
    await server.close();
    await images.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  async function connect(token: string | undefined): Promise<Client> {
    const client = new Client({ name: 'unit-test', version: '1.0.0' });
    const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers } }));
    return client;
  }

  test('listens on 127.0.0.1 at a random port with a long random token', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.match(server.token, /^[A-Za-z0-9_-]{43}$/);
  });

  test('the SDK client connects with the token, lists both tools, calls generate and the file exists', async () => {
    const client = await connect(server.token);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), ['gptImage_editImage', 'gptImage_generateImage']);
      const generate = tools.find((tool) => tool.name === 'gptImage_generateImage')!;
      assert.deepEqual(generate.inputSchema.required, ['prompt']);
      assert.match(generate.description ?? '', /SVG or Mermaid/);

      const result = await client.callTool({ name: 'gptImage_generateImage', arguments: { prompt: 'A lighthouse' } });
      const content = result.content as { type: string; text?: string; data?: string; mimeType?: string }[];
      assert.equal(result.isError, false);
      const saved = /^Saved (.+)$/.exec(content[0].text ?? '')?.[1];
      assert.ok(saved && fs.existsSync(path.join(workspace, saved)), `the file ${saved} exists`);
      assert.equal(content[1].type, 'image');
      assert.equal(content[1].mimeType, 'image/png');
      assert.ok(Buffer.from(content[1].data!, 'base64').subarray(1, 4).equals(Buffer.from('PNG')));
      assert.ok(!JSON.stringify(result).includes(apiKey), 'the API key is nowhere in the result');
    } finally {
      await client.close();
    }
  });

  test('concurrent calls each get their own file', async () => {
    const client = await connect(server.token);
    try {
      const results = await Promise.all(
        ['One', 'Two', 'Three'].map((word) => client.callTool({ name: 'gptImage_generateImage', arguments: { prompt: `${word} boat` } })),
      );
      const paths = results.map((result) => (result.content as { text: string }[])[0].text);
      assert.equal(new Set(paths).size, 3, paths.join(', '));
    } finally {
      await client.close();
    }
  });

  test('an unknown tool is an error result naming the tools', async () => {
    const client = await connect(server.token);
    try {
      const result = await client.callTool({ name: 'rm_rf', arguments: {} });
      assert.equal(result.isError, true);
      assert.match((result.content as { text: string }[])[0].text, /gptImage_generateImage/);
    } finally {
      await client.close();
    }
  });

  test('no token and a wrong token are refused (401) by the SDK client and on the wire', async () => {
    await assert.rejects(connect(undefined), /401|Unauthorized/);
    await assert.rejects(connect(`${server.token.slice(0, -1)}x`), /401|Unauthorized/);
    const wrong = await raw(server.url, { headers: { ...jsonHeaders, authorization: 'Bearer nope' }, body: initialize });
    assert.equal(wrong.status, 401);
    const basic = await raw(server.url, { headers: { ...jsonHeaders, authorization: `Basic ${server.token}` }, body: initialize });
    assert.equal(basic.status, 401);
  });

  test('a foreign Origin and a rebound Host are refused (403) even with the token', async () => {
    const auth = { ...jsonHeaders, authorization: `Bearer ${server.token}` };
    const origin = await raw(server.url, { headers: { ...auth, origin: 'https://evil.example' }, body: initialize });
    assert.equal(origin.status, 403);
    const port = new URL(server.url).port;
    const host = await raw(server.url, { headers: { ...auth, host: `evil.example:${port}` }, body: initialize });
    assert.equal(host.status, 403);
    const otherPort = await raw(server.url, { headers: { ...auth, host: `127.0.0.1:1` }, body: initialize });
    assert.equal(otherPort.status, 403);
    const own = await raw(server.url, { headers: { ...auth, origin: `http://localhost:${port}` }, body: initialize });
    assert.equal(own.status, 200, 'its own origin is fine');
  });

  test('bodies above the size limit are refused (413), announced or streamed', async () => {
    const auth = { ...jsonHeaders, authorization: `Bearer ${server.token}` };
    const big = Buffer.alloc(maxBodyBytes + 1, 0x20);
    const announced = await raw(server.url, { headers: auth, body: big });
    assert.equal(announced.status, 413);
    const chunked = await raw(server.url, { headers: { ...auth, 'transfer-encoding': 'chunked' }, body: big });
    assert.equal(chunked.status, 413);
  });

  test('other paths are 404; the token never appears in the log', async () => {
    const other = await raw(server.url.replace('/mcp', '/other'), { headers: { ...jsonHeaders, authorization: `Bearer ${server.token}` }, body: initialize });
    assert.equal(other.status, 404);
    assert.ok(logged.length > 0, 'refusals are logged');
    assert.ok(!logged.join('\n').includes(server.token), 'the token is never logged');
  });

  const callTool = (id: number, prompt: string): object => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'gptImage_generateImage', arguments: { prompt } } });

  test('review M1: a JSON-RPC batch is refused with a JSON-RPC error and no call runs', async () => {
    const auth = { ...jsonHeaders, authorization: `Bearer ${server.token}`, 'mcp-protocol-version': '2025-06-18' };
    const before = calls;
    const batch = JSON.stringify(Array.from({ length: 50 }, (_, i) => callTool(i + 1, `Batched ${i}`)));
    const answer = await raw(server.url, { headers: auth, body: batch });
    assert.equal(answer.status, 400);
    assert.deepEqual(JSON.parse(answer.body), {
      jsonrpc: '2.0',
      error: { code: -32600, message: 'Invalid Request: JSON-RPC batches are not supported; send one message per request.' },
      id: null,
    });
    const single = await raw(server.url, { headers: auth, body: JSON.stringify([initialize]) });
    assert.equal(single.status, 400, 'a batch of one too');
    assert.equal(calls, before, 'no tool call ran');
  });

  test('review L5: GET (SSE) and DELETE are 405 in this stateless server, with Allow: POST', async () => {
    for (const method of ['GET', 'DELETE']) {
      const answer = await rawWithHeaders(server.url, method, { accept: 'text/event-stream', authorization: `Bearer ${server.token}` });
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.allow, 'POST');
      assert.equal(JSON.parse(answer.body).error.code, -32000);
    }
  });

  test('review L6: the Bearer scheme is case-insensitive (RFC 7235)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const answer = await raw(server.url, { headers: { ...jsonHeaders, authorization: `${scheme} ${server.token}` }, body: initialize });
      assert.equal(answer.status, 200, scheme);
    }
    const wrong = await raw(server.url, { headers: { ...jsonHeaders, authorization: `bearer ${server.token}x` }, body: initialize });
    assert.equal(wrong.status, 401);
  });
});

suite('MCP server limits: slow bodies and connection floods (review L5)', () => {
  const waiting: (() => void)[] = [];
  const release = (): void => waiting.splice(0).forEach((resolve) => resolve());
  let started = 0;
  let server: RunningMcpServer;
  const sockets: Socket[] = [];

  suiteSetup(async () => {
    const host: McpToolHost = {
      tools: toolDefinitionsFrom(manifest),
      call: async () => {
        started++;
        await new Promise<void>((resolve) => waiting.push(resolve));
        return { text: 'done', isError: false, images: [] };
      },
    };
    server = await startMcpServer(host, { version: '0' }, { requestTimeoutMs: 300, maxConnections: 2, checkEveryMs: 50 });
  });

  suiteTeardown(async () => {
    for (const socket of sockets) socket.destroy();
    release();
    await server.close();
  });

  test('a body that stalls is answered 408 and its connection closed; an answer may still take longer than the limit', async () => {
    const port = Number(new URL(server.url).port);
    const socket = netConnect(port, '127.0.0.1');
    sockets.push(socket);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // Headers promise 100 bytes; 10 arrive, then nothing.
    socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"jsonrpc"`);
    await closed;
    assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 408/);

    // A call whose body arrived in time is not cut off while the tool runs past the request timeout.
    const call = raw(server.url, {
      headers: { ...jsonHeaders, authorization: `Bearer ${server.token}`, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'gptImage_generateImage', arguments: { prompt: 'x' } } }),
    });
    await until(() => started === 1);
    await new Promise((resolve) => setTimeout(resolve, 600)); // twice the request timeout, so the check ran
    release();
    const answer = await call;
    assert.equal(answer.status, 200);
    assert.match(answer.body, /"text":"done"/);
  });

  test('connections past the cap are closed without an answer', async () => {
    const port = Number(new URL(server.url).port);
    const before = started;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'gptImage_generateImage', arguments: { prompt: 'y' } } });
    const headers = { ...jsonHeaders, authorization: `Bearer ${server.token}`, 'mcp-protocol-version': '2025-06-18' };
    // Two calls in progress: both connections were accepted (their calls started).
    const running = [raw(server.url, { headers, body }), raw(server.url, { headers, body })];
    await until(() => started === before + 2);
    const third = netConnect(port, '127.0.0.1');
    sockets.push(third);
    const received: Buffer[] = [];
    third.on('data', (chunk: Buffer) => received.push(chunk));
    third.on('error', () => undefined);
    third.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(initialize)}\r\n\r\n${initialize}`);
    await new Promise<void>((resolve) => third.on('close', () => resolve()));
    assert.equal(Buffer.concat(received).length, 0, 'closed without an answer');
    release();
    for (const answer of await Promise.all(running)) assert.equal(answer.status, 200);
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

function rawWithHeaders(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

suite('MCP server: idle connections cannot fill the connection cap (re-review F1)', function () {
  // Sixteen real sockets opened and closed by the server's own timer: seconds on a loaded 2-core machine,
  // so this suite gets more than mocha's default 10 s (a bound on a hang, not a timing assertion).
  this.timeout(30_000);
  let server: RunningMcpServer;
  const sockets: Socket[] = [];

  suiteSetup(async () => {
    const host: McpToolHost = { tools: toolDefinitionsFrom(manifest), call: async () => ({ text: 'done', isError: false, images: [] }) };
    // The real cap (16), a short request timeout.
    server = await startMcpServer(host, { version: '0' }, { ...defaultMcpLimits, requestTimeoutMs: 300, checkEveryMs: 50 });
  });

  suiteTeardown(async () => {
    for (const socket of sockets) socket.destroy();
    await server.close();
  });

  test('connections that send nothing, or one byte, are closed, so a real client gets in', async () => {
    const port = Number(new URL(server.url).port);
    const idle = async (first?: string): Promise<{ closed: Promise<void> }> => {
      const socket = netConnect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => undefined);
      // Read (and drop) whatever arrives: a paused socket never sees the server's FIN, so it would never
      // emit 'close' although the server closed it (a race lost now and then on a loaded machine).
      socket.resume();
      if (first !== undefined) socket.write(first);
      return { closed: new Promise<void>((resolve) => socket.on('close', () => resolve())) };
    };
    // Fill the cap: half the connections never speak, half send a single byte.
    const closed: Promise<void>[] = [];
    for (let i = 0; i < defaultMcpLimits.maxConnections; i++) closed.push((await idle(i % 2 === 0 ? undefined : 'P')).closed);
    // The server closes both itself (before the fix they stayed open forever and this waited until mocha's timeout).
    await Promise.all(closed);
    // The client sees its sockets close before the server has counted them out of the cap, so the
    // first request may still meet a full server and be reset: once, then it gets in.
    const ask = () => raw(server.url, { headers: { ...jsonHeaders, authorization: `Bearer ${server.token}`, connection: 'close' }, body: initialize });
    const answer = await ask().catch(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return ask();
    });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /gpt-image-studio/);
  });

  test('a keep-alive connection left idle after its answer is closed too', async () => {
    const port = Number(new URL(server.url).port);
    const socket = netConnect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => undefined);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nConnection: keep-alive\r\nContent-Length: ${Buffer.byteLength(initialize)}\r\n\r\n${initialize}`);
    await until(() => /\r\n\r\n/.test(Buffer.concat(received).toString('latin1')));
    assert.match(Buffer.concat(received).toString('latin1'), /^HTTP\/1\.1 200/);
    // Nothing more is sent: the server ends the idle connection (keepAliveTimeout ≤ the request timeout).
    await closed;
  });
});
