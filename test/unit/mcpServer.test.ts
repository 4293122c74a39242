import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { generateAndSave } from '../../src/core/engine';
import { maxBodyBytes, startMcpServer, type McpToolHost, type RunningMcpServer } from '../../src/agent/mcpServer';
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
});
