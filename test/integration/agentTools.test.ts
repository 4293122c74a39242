import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { makePng } from '../fixtures/fakeImageServer';
import {
  closeAllEditors,
  emptyDir,
  isPng,
  listAll,
  setUserSetting,
  sleep,
  testApi,
  useFixtureServer,
  waitFor,
  workspaceRoot,
} from './helpers';

const key = 'sk-agent-tools-key-0123456789';

/** The text parts of a tool result, joined. */
function textOf(result: vscode.LanguageModelToolResult): string {
  return result.content
    .filter((part): part is vscode.LanguageModelTextPart => part instanceof vscode.LanguageModelTextPart)
    .map((part) => part.value)
    .join('\n');
}

function invoke(input: object, token = new vscode.CancellationTokenSource().token): Thenable<vscode.LanguageModelToolResult> {
  return vscode.lm.invokeTool('gptImage_generateImage', { input, toolInvocationToken: undefined }, token);
}

suite('Agent tools: language model tools and the MCP server (issue #12)', () => {
  const server = useFixtureServer({ key });
  let root: string;

  suiteSetup(() => {
    root = workspaceRoot();
  });

  suiteTeardown(async () => {
    await closeAllEditors();
    emptyDir(path.join(root, 'public'));
    emptyDir(path.join(root, 'assets'));
  });

  setup(() => {
    emptyDir(path.join(root, 'public'));
    emptyDir(path.join(root, 'assets'));
  });

  test('vscode.lm.tools lists both tools with their reference names and schemas', () => {
    const names = vscode.lm.tools.map((tool) => tool.name);
    assert.ok(names.includes('gptImage_generateImage'), names.join(', '));
    assert.ok(names.includes('gptImage_editImage'), names.join(', '));
    const generate = vscode.lm.tools.find((tool) => tool.name === 'gptImage_generateImage')!;
    assert.deepEqual((generate.inputSchema as { required?: string[] }).required, ['prompt']);
    assert.match(generate.description, /SVG or Mermaid/);
  });

  test('invokeTool saves into the named folder, returns path and link, records the history; a taken name gets -1', async () => {
    const api = await testApi();
    const input = { prompt: 'A hero image of a lighthouse', fileName: 'hero', folder: 'public/img', linkFrom: 'src/Hero.tsx', quality: 'high', size: '1536x1024' };
    const before = api.history.list().length;
    const first = textOf(await invoke(input));
    const saved = path.join(root, 'public', 'img', 'hero.png');
    assert.ok(fs.existsSync(saved) && isPng(saved), `hero.png saved:\n${first}`);
    assert.match(first, /^Saved 1 image into the workspace/);
    assert.match(first, /^- public\/img\/hero\.png \(1536x1024 png\)$/m);
    assert.match(first, /^Size: 1536x1024 \(requested 1536x1024\); quality: high/m);
    assert.match(first, /^Preview: attached \(512x341 image\/png\)$/m);
    assert.match(first, /^Link for src\/Hero\.tsx \(typescriptreact, relative to it\):\n<img src="\.\.\/public\/img\/hero\.png" alt="A hero image of a lighthouse" \/>$/m);
    assert.match(first, /^Request id: req_/m);
    assert.match(first, /^Usage: \d+ tokens/m);
    assert.match(first, /^Cost: \$\d/m);
    assert.ok(!first.includes(key), 'the key is not in the result');
    assert.equal(api.history.list().length, before + 1, 'recorded once in the history');
    assert.deepEqual(api.history.list()[0]!.files, ['public/img/hero.png']);
    assert.equal((server().requests.at(-1)!.json as { quality?: string }).quality, 'high');

    const original = fs.readFileSync(saved);
    const second = textOf(await invoke(input));
    assert.match(second, /^- public\/img\/hero-1\.png/m, second);
    assert.ok(fs.readFileSync(saved).equals(original), 'the first file is untouched');
  });

  test('where the host has LanguageModelDataPart, the image is attached, downscaled to 512 px', async () => {
    const result = await invoke({ prompt: 'A small icon' });
    const DataPart = (vscode as unknown as { LanguageModelDataPart?: new (...args: never[]) => { mimeType: string } }).LanguageModelDataPart;
    if (!DataPart) return assert.match(textOf(result), /Preview: not attached/);
    const images = result.content.filter((part) => part instanceof DataPart) as { mimeType: string }[];
    assert.equal(images.length, 1, textOf(result));
    assert.equal(images[0].mimeType, 'image/png');
    assert.match(textOf(result), /Preview: attached \(512x512 image\/png\)/);
  });

  test('a cancelled token leaves nothing', async () => {
    const api = await testApi();
    const requests = server().requests.length;
    const entries = api.history.list().length;
    const source = new vscode.CancellationTokenSource();
    const pending = invoke({ prompt: 'A slow sunrise [slow:3000]', folder: 'public/slow' }, source.token);
    await waitFor('the request to reach the server', () => server().requests.length > requests || undefined);
    source.cancel();
    // VS Code answers the caller with a CancellationError at once; the tool's abort goes on inside.
    await assert.rejects(Promise.resolve(pending), /Cancel/);
    // Past the server's delay: had the request not been aborted, the file would be saved by now.
    await sleep(3500);
    assert.deepEqual(listAll(path.join(root, 'public', 'slow')), [], 'no file, not even a temp file');
    assert.equal(api.history.list().length, entries, 'nothing recorded');
  });

  test("folder '../x' is refused with a clear text and nothing is sent", async () => {
    const requests = server().requests.length;
    const text = textOf(await invoke({ prompt: 'A cat', folder: '../x' }));
    assert.equal(
      text,
      'GPT Image validation error, field "folder": Input "folder" ("../x") points outside the workspace folder. Use a folder relative to the workspace folder, such as "assets". Nothing was saved. Fix the input and call the tool again.',
    );
    const absolute = textOf(await invoke({ prompt: 'A cat', folder: '/tmp/x' }));
    assert.match(absolute, /is an absolute path/);
    const name = textOf(await invoke({ prompt: 'A cat', fileName: '../evil' }));
    assert.match(name, /field "fileName".*path separator/);
    const link = textOf(await invoke({ prompt: 'A cat', linkFrom: '../outside.md' }));
    assert.match(link, /field "linkFrom".*outside the workspace/);
    const count = textOf(await invoke({ prompt: 'A cat', n: 1000 }));
    assert.match(count, /field "n".*from 1 to 4/);
    const quality = textOf(await invoke({ prompt: 'A cat', quality: 'ultra' }));
    assert.match(quality, /field "quality".*use auto, low, medium, high/);
    assert.equal(server().requests.length, requests, 'no request reached the server');
  });

  test('without folder, an assetsFolder setting outside the workspace is refused naming the setting', async () => {
    const requests = server().requests.length;
    await setUserSetting('assetsFolder', '../x');
    try {
      const text = textOf(await invoke({ prompt: 'A cat' }));
      assert.equal(
        text,
        'GPT Image validation error, field "assetsFolder": The setting gptImage.assetsFolder ("../x") points outside the workspace folder. Use a folder relative to the workspace folder, such as "assets". Nothing was saved. Fix the input and call the tool again.',
      );
      assert.equal(server().requests.length, requests, 'no request reached the server');
    } finally {
      await setUserSetting('assetsFolder', undefined);
    }
  });

  test('a folder that leads outside through a symlink is refused before sending', async () => {
    const outside = fs.mkdtempSync(path.join(path.dirname(root), 'outside-'));
    const link = path.join(root, 'public', 'escape');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(outside, link);
    try {
      const requests = server().requests.length;
      const text = textOf(await invoke({ prompt: 'A cat', folder: 'public/escape/deeper' }));
      assert.match(text, /field "folder".*leads outside the workspace folder through a symbolic link/);
      assert.equal(server().requests.length, requests);
      assert.deepEqual(fs.readdirSync(outside), []);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a relay that echoes the key in its error: the agent never sees the key', async () => {
    const text = textOf(await invoke({ prompt: 'A cat [echo-key]' }));
    assert.match(text, /^GPT Image \w+ error/);
    assert.ok(!text.includes(key), text);
    assert.ok(!text.includes(key.slice(3, 20)), 'not even a part of it');
  });

  test('without a key the result tells the agent to ask the user to Set API Key; nothing is asked or sent', async () => {
    const api = await testApi();
    await api.keys.clear();
    try {
      const requests = server().requests.length;
      const text = textOf(await invoke({ prompt: 'A cat' }));
      assert.match(text, /no API key is set.*Ask the user to run "GPT Image: Set API Key"/);
      assert.equal(server().requests.length, requests);
    } finally {
      await api.keys.set(key);
    }
  });

  test('gptImage_editImage edits a workspace image through the edit engine into a new file, never touching the original', async () => {
    const source = path.join(root, 'assets', 'scene.png');
    fs.mkdirSync(path.dirname(source), { recursive: true });
    fs.writeFileSync(source, makePng(256, 256, (x, y) => [x, y, 128]));
    const original = fs.readFileSync(source);
    const result = await vscode.lm.invokeTool(
      'gptImage_editImage',
      { input: { images: ['assets/scene.png'], prompt: 'Make it night', folder: 'public/edits', fileName: 'night', linkFrom: 'docs/page.md' }, toolInvocationToken: undefined },
      new vscode.CancellationTokenSource().token,
    );
    const text = textOf(result);
    assert.match(text, /^Edited and saved 1 image into the workspace/, text);
    const saved = /^- (public\/edits\/night-edit-\d{8}-\d{6}\.png) /m.exec(text)?.[1];
    assert.ok(saved && fs.existsSync(path.join(root, saved)), `the edit is saved: ${text}`);
    assert.match(text, /^!\[Make it night\]\(\.\.\/public\/edits\/night-edit-/m);
    assert.equal(server().requests.at(-1)!.url, '/v1/images/edits');
    assert.ok(fs.readFileSync(source).equals(original), 'the original is untouched');
    const outside = textOf(
      await vscode.lm.invokeTool('gptImage_editImage', { input: { images: ['../secret.png'], prompt: 'x' }, toolInvocationToken: undefined }, new vscode.CancellationTokenSource().token),
    );
    assert.match(outside, /field "images\[0\]".*outside the workspace/);
  });

  test('MCP: the SDK client connects to the window\'s server with its token, generates, and the file exists', async () => {
    const api = await testApi();
    const mcp = await api.agent.mcp.server();
    const client = new Client({ name: 'integration', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers: { Authorization: `Bearer ${mcp.token}` } } }));
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), ['gptImage_editImage', 'gptImage_generateImage']);
      const result = await client.callTool({ name: 'gptImage_generateImage', arguments: { prompt: 'A robot painter', fileName: 'robot', linkFrom: 'README.md' } });
      const content = result.content as { type: string; text?: string; mimeType?: string }[];
      assert.equal(result.isError, false, content[0].text);
      assert.match(content[0].text!, /^- assets\/robot\.png/m);
      assert.match(content[0].text!, /^!\[A robot painter\]\(assets\/robot\.png\)$/m);
      assert.ok(fs.existsSync(path.join(root, 'assets', 'robot.png')));
      // Review L8: no picture unless asked for; with includeImage one image item after the text.
      assert.equal(content.length, 1, 'text only by default');
      assert.match(content[0].text!, /^Preview: not attached \(call with includeImage: true/m);
      assert.ok(!JSON.stringify(result).includes(key), 'the API key is nowhere in what the client receives');
      const withImage = await client.callTool({ name: 'gptImage_generateImage', arguments: { prompt: 'A robot painter', fileName: 'robot', includeImage: true } });
      const parts = withImage.content as { type: string; text?: string; mimeType?: string }[];
      assert.deepEqual(parts.map((part) => part.type), ['text', 'image']);
      assert.equal(parts[1].mimeType, 'image/png');
      assert.match(parts[0].text!, /^- assets\/robot-1\.png/m);
      const refused = await client.callTool({ name: 'gptImage_generateImage', arguments: { prompt: 'x', folder: '../x' } });
      assert.equal(refused.isError, true);
    } finally {
      await client.close();
    }
    const stranger = new Client({ name: 'stranger', version: '1.0.0' });
    await assert.rejects(
      stranger.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers: { Authorization: 'Bearer wrong' } } })),
    );
  });

  test('Copy MCP Server Config puts URL and token on the clipboard', async () => {
    const api = await testApi();
    const mcp = await api.agent.mcp.server();
    await vscode.commands.executeCommand('gptImage.copyMcpConfig');
    const config = JSON.parse(await vscode.env.clipboard.readText());
    assert.deepEqual(config, {
      mcpServers: { 'gpt-image-studio': { type: 'http', url: mcp.url, headers: { Authorization: `Bearer ${mcp.token}` } } },
    });
  });

  const cancelToken = (): vscode.CancellationToken => new vscode.CancellationTokenSource().token;
  const lmText = (result: vscode.LanguageModelToolResult): string => textOf(result);

  test('review M2: input refused at confirmation time is never prepared again and sent by invoke', async () => {
    const api = await testApi();
    const outside = fs.mkdtempSync(path.join(path.dirname(root), 'outside-m2-'));
    const link = path.join(root, 'public', 'later');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(outside, link);
    try {
      const input = { prompt: 'A cat', folder: 'public/later' };
      const prepared = await api.agent.lmTools.generate.prepareInvocation({ input });
      assert.equal(prepared?.confirmationMessages, undefined, 'no Allow for a refused call');
      // Between confirmation and invoke the folder becomes valid: the unconfirmed call still must not run.
      fs.rmSync(link);
      fs.mkdirSync(link);
      const requests = server().requests.length;
      const text = lmText(await api.agent.lmTools.generate.invoke({ input, toolInvocationToken: undefined }, cancelToken()));
      assert.match(text, /field "folder".*symbolic link.*Nothing was saved/, text);
      assert.equal(server().requests.length, requests, 'nothing was sent');
      assert.deepEqual(listAll(link), []);
      // invoke with no confirmation at all (a host that skipped prepareInvocation) sends nothing either.
      const unconfirmed = lmText(await api.agent.lmTools.generate.invoke({ input: { prompt: 'A dog' }, toolInvocationToken: undefined }, cancelToken()));
      assert.match(unconfirmed, /not confirmed by the user/);
      assert.equal(server().requests.length, requests);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('review M2/L3/L2: invoke runs the confirmed plan: the name saved is the name shown, even a second later; the confirmation is plain text', async () => {
    const api = await testApi();
    const input = { prompt: 'A lighthouse at https://evil.example/x', folder: 'public/l3' };
    const prepared = await api.agent.lmTools.generate.prepareInvocation({ input });
    const message = prepared!.confirmationMessages!.message as vscode.MarkdownString;
    assert.equal(message.isTrusted, false);
    assert.equal(message.supportHtml, false);
    assert.ok(!/https?:\/\//.test(message.value), `no autolink survives: ${message.value}`);
    const shown = /\*\*Saves:\*\* `(public\/l3\/[^`]+\.png)`/.exec(message.value)?.[1];
    assert.ok(shown, message.value);
    await sleep(1100); // the user reads the confirmation: the clock moves past the second in the name
    const text = lmText(await api.agent.lmTools.generate.invoke({ input, toolInvocationToken: undefined }, cancelToken()));
    assert.match(text, new RegExp(`^- ${shown.replace(/[.]/g, '\\.')} \\(`, 'm'), `saved as shown (${shown}):\n${text}`);
    assert.ok(fs.existsSync(path.join(root, shown)));
    // The same confirmation does not run twice.
    assert.match(lmText(await api.agent.lmTools.generate.invoke({ input, toolInvocationToken: undefined }, cancelToken())), /not confirmed/);
  });

  test('review M2: a setting changed after the confirmation (the plan no longer matches) is refused, nothing sent', async () => {
    const api = await testApi();
    const input = { prompt: 'A quiet harbour', folder: 'public/m2' };
    await api.agent.lmTools.generate.prepareInvocation({ input });
    await setUserSetting('quality', 'low');
    try {
      const requests = server().requests.length;
      const text = lmText(await api.agent.lmTools.generate.invoke({ input, toolInvocationToken: undefined }, cancelToken()));
      assert.match(text, /no longer matches what the user confirmed/, text);
      assert.equal(server().requests.length, requests);
    } finally {
      await setUserSetting('quality', undefined);
    }
  });

  test('review M1: the concurrency slot is taken before an edit reads anything', async () => {
    const api = await testApi();
    const slow = [1, 2, 3].map((i) =>
      api.agent.tools.run('generate', { prompt: `A slow tide ${i} [slow:4000]`, folder: 'public/m1' }, new AbortController().signal, {
        confirmCost: true,
        imagesByDefault: false,
        canAttachImages: false,
      }),
    );
    const requests = server().requests.length;
    await waitFor('three generations in flight', () => server().requests.length >= requests + 3 || undefined, 10_000);
    // The file does not exist: had the edit been prepared first, the answer would say so.
    const edit = await api.agent.tools.run('edit', { images: ['assets/missing.png'], prompt: 'x' }, new AbortController().signal, {
      confirmCost: true,
      imagesByDefault: false,
      canAttachImages: false,
    });
    assert.match(edit.text, /3 agent generations are already running/, edit.text);
    for (const result of await Promise.all(slow)) assert.equal(result.isError, false, result.text);
  });
});
