import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TestApi } from '../../src/extension';
import { startFakeImageServer, type FakeImageServer, type FakeImageServerOptions } from '../fixtures/fakeImageServer';

export const extensionId = 'gpt-image-studio.gpt-image-studio';

/** Activates the extension and returns its test-only API (present only in extension test mode). */
export async function testApi(): Promise<TestApi> {
  const extension = vscode.extensions.getExtension<TestApi | undefined>(extensionId);
  assert.ok(extension, `extension ${extensionId} is installed`);
  const api = await extension.activate();
  assert.ok(api, 'activate() returns the test API in test mode');
  return api;
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return folder.uri.fsPath;
}

/** Sets a gptImage.* user setting (Global target), as a user would in settings.json. */
export async function setUserSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('gptImage').update(key, value, vscode.ConfigurationTarget.Global);
}

export function listImages(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => !name.startsWith('.')) : [];
}

export function listAll(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

export function emptyDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export async function openFile(relative: string, content: string, languageId?: string): Promise<vscode.TextEditor> {
  const file = path.join(workspaceRoot(), relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  let document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  if (languageId && document.languageId !== languageId) {
    document = await vscode.languages.setTextDocumentLanguage(document, languageId);
  }
  return vscode.window.showTextDocument(document, { preview: false });
}

export function isPng(file: string): boolean {
  const bytes = fs.readFileSync(file);
  return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value, or fails after `timeoutMs` saying what was awaited. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export interface FixtureServerSetup {
  /** The key the server requires (`requireKey`); stored with the test API's keys.set for the suite. */
  readonly key: string;
  /** More gptImage.* user settings for the suite, set after baseUrl; each goes back to its default after. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Server options beyond the key (tls, streaming, …). */
  readonly server?: Omit<FakeImageServerOptions, 'requireKey'>;
  /** What gptImage.baseUrl points at; default the server's own `baseUrl`. */
  readonly baseUrl?: (server: FakeImageServer) => string;
}

/**
 * Mocha hooks for a suite that talks to the fixture server (test/fixtures/fakeImageServer.ts).
 * suiteSetup starts it requiring `key`, stores the key, points the gptImage.baseUrl user setting at it
 * and sets `settings`; suiteTeardown puts baseUrl and those settings back to their defaults, clears the
 * key and closes the server. Call it first in the suite body: hooks run in the order they are registered
 * (suiteTeardown too), so the suite's own suiteSetup already finds the server running, and its own
 * suiteTeardown (closing editors, emptying folders) runs after this one.
 * Returns the running server; calling it outside the suite's hooks and tests throws.
 */
export function useFixtureServer(setup: FixtureServerSetup): () => FakeImageServer {
  let server: FakeImageServer | undefined;
  const settings = Object.entries(setup.settings ?? {});
  suiteSetup(async () => {
    server = await startFakeImageServer({ ...setup.server, requireKey: setup.key });
    await (await testApi()).keys.set(setup.key);
    await setUserSetting('baseUrl', setup.baseUrl ? setup.baseUrl(server) : server.baseUrl);
    for (const [key, value] of settings) await setUserSetting(key, value);
  });
  suiteTeardown(async () => {
    await setUserSetting('baseUrl', undefined);
    for (const [key] of settings) await setUserSetting(key, undefined);
    await (await testApi()).keys.clear();
    await server?.close();
    server = undefined;
  });
  return () => {
    assert.ok(server, 'the fixture server runs (useFixtureServer: only inside the suite)');
    return server;
  };
}
