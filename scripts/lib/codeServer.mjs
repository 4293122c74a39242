// Starts code-server (VS Code's server + browser workbench) for one test run, and drives the workbench
// with playwright-core and Debian's Chromium. See shared/reference/real-vscode.md for why these steps.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const extensionId = 'gpt-image-studio.gpt-image-studio';
export const artifactsRoot = path.join(repoRoot, '.test-artifacts');

/** Settings every run gets: no welcome page, no chat, no trust prompt, no network chatter. */
export const baseSettings = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'security.workspace.trust.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
});

/** Resolves within `ms` or rejects with a message that names what was awaited. */
export async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a truthy value. */
export async function waitFor(check, { timeout, interval = 200, what }) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
    await sleep(interval);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port that was free a moment ago: ephemeral when `preferred` is 0, else `preferred` or the next free one. */
export async function freePort(preferred = 0, host = '127.0.0.1') {
  for (let port = preferred; port < preferred + 100; port++) {
    const found = await new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(0));
      server.listen(port, host, () => {
        const address = server.address();
        server.close(() => resolve(address.port));
      });
    });
    if (found) return found;
    if (preferred === 0) break;
  }
  throw new Error(`no free port on ${host} from ${preferred || 'the ephemeral range'}`);
}

/** A fresh folder under /tmp: short, since Unix socket paths inside TMPDIR are limited to ~108 bytes. */
export function makeRunDir(prefix = 'gis-') {
  const base = fs.existsSync('/tmp') ? '/tmp' : fs.realpathSync(process.env.TMPDIR || '/tmp');
  return fs.mkdtempSync(path.join(base, prefix));
}

/**
 * A workspace folder whose name contains a space, seeded from test/fixtures/workspace when it exists,
 * always with a README.md. Extra files: `{ 'notes.md': '# Notes\n' }`.
 */
export function makeWorkspace(parent, files = {}) {
  const folder = path.join(parent, 'my workspace');
  const fixtures = path.join(repoRoot, 'test', 'fixtures', 'workspace');
  if (fs.existsSync(fixtures)) fs.cpSync(fixtures, folder, { recursive: true });
  fs.mkdirSync(folder, { recursive: true });
  const all = { 'README.md': '# Test workspace\n', ...files };
  for (const [name, text] of Object.entries(all)) {
    const file = path.join(folder, name);
    if (!fs.existsSync(file)) fs.writeFileSync(file, text);
  }
  return folder;
}

/**
 * One code-server process with its own config, XDG folders, user data and extensions.
 * `profileDir` keeps user data and extensions across runs (npm start); by default both are fresh.
 */
export class CodeServer {
  /**
   * @param {{ harness: { node24: string, codeServerEntry: string }, settings?: Record<string, unknown>,
   *   env?: Record<string, string | undefined>, profileDir?: string, password?: string,
   *   log?: (line: string) => void }} options — with `password`, the workbench asks for it (npm start:
   *   the server holds the user's API key and a terminal, so other local users must not walk in).
   */
  constructor({ harness, settings = {}, env = {}, profileDir, password, log = (line) => console.log(`[code-server] ${line}`) }) {
    this.harness = harness;
    this.password = password;
    this.log = log;
    this.runDir = makeRunDir();
    const profile = profileDir ?? this.runDir;
    this.userDataDir = path.join(profile, 'udd');
    this.extensionsDir = path.join(profile, 'exts');
    this.configFile = path.join(this.runDir, 'config.yaml');
    this.outputFile = path.join(this.runDir, 'code-server.log');
    this.process = undefined;
    this.port = 0;
    for (const dir of [this.userDataDir, this.extensionsDir, ...Object.values(this.xdgDirs())]) {
      fs.mkdirSync(dir, { recursive: true });
    }
    this.env = this.buildEnv(password ? { ...env, PASSWORD: password } : env);
    this.writeUserSettings(settings);
  }

  xdgDirs() {
    return {
      TMPDIR: path.join(this.runDir, 't'),
      XDG_CONFIG_HOME: path.join(this.runDir, 'xdg', 'config'),
      XDG_DATA_HOME: path.join(this.runDir, 'xdg', 'data'),
      XDG_CACHE_HOME: path.join(this.runDir, 'xdg', 'cache'),
      XDG_RUNTIME_DIR: path.join(this.runDir, 'xdg', 'run'),
    };
  }

  /** The extension host inherits this environment; `undefined` removes a variable. */
  buildEnv(extra) {
    const env = { ...process.env };
    for (const name of Object.keys(env)) {
      // npm's and a surrounding VS Code's variables would leak into the extension host.
      if (/^(npm_|VSCODE_|ELECTRON_)/i.test(name)) delete env[name];
    }
    delete env.WISGATE_API_KEY;
    Object.assign(env, this.xdgDirs());
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    return env;
  }

  /** Adds variables to the environment of the next `start`; `undefined` removes one. */
  addEnv(vars) {
    for (const [name, value] of Object.entries(vars)) {
      if (value === undefined) delete this.env[name];
      else this.env[name] = value;
    }
  }

  /** Merges `settings` into User/settings.json; a value of `undefined` removes the key. */
  writeUserSettings(settings) {
    const file = path.join(this.userDataDir, 'User', 'settings.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let current = {};
    try {
      current = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      // A missing or hand-edited (JSONC) file is replaced by ours.
    }
    const next = { ...current, ...baseSettings, ...settings };
    for (const [key, value] of Object.entries(next)) if (value === undefined) delete next[key];
    fs.writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
  }

  commonArgs() {
    return [
      '--config', this.configFile,
      '--user-data-dir', this.userDataDir,
      '--extensions-dir', this.extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
    ];
  }

  /** Installs a .vsix into this server's extensions folder (before `start`). */
  installVsix(vsix) {
    if (!fs.existsSync(vsix)) throw new Error(`no .vsix at ${vsix}: run \`npm run package\``);
    this.writeConfig(0);
    const result = spawnSync(
      this.harness.node24,
      [this.harness.codeServerEntry, ...this.commonArgs(), '--install-extension', vsix, '--force'],
      { env: this.env, encoding: 'utf8', timeout: 120_000 },
    );
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    if (result.status !== 0) {
      throw new Error(`code-server --install-extension ${vsix} failed (${result.error?.message ?? result.status}):\n${output}`);
    }
    this.log(output.split('\n').filter((line) => /install/i.test(line)).join('\n') || `installed ${vsix}`);
  }

  writeConfig(port) {
    fs.writeFileSync(this.configFile, `bind-addr: 127.0.0.1:${port}\nauth: ${this.auth()}\ncert: false\n`);
  }

  auth() {
    return this.password ? 'password' : 'none';
  }

  /** Starts the server on `port` (0: an ephemeral free port) and waits for /healthz. */
  async start({ port = 0, timeout = 60_000 } = {}) {
    this.port = port || (await freePort());
    this.writeConfig(this.port);
    const out = fs.openSync(this.outputFile, 'a');
    const args = [
      this.harness.codeServerEntry,
      ...this.commonArgs(),
      '--auth', this.auth(),
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--vscode-option', 'enable-smoke-test-driver',
    ];
    // detached: its own process group, so stop() can end the extension host and helpers with it.
    this.process = spawn(this.harness.node24, args, { env: this.env, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve(code ?? signal)));
    registerCleanup(this);
    const healthy = waitFor(() => this.healthz(), { timeout, interval: 250, what: `code-server /healthz on ${this.url}` });
    const result = await Promise.race([healthy, exited.then((code) => ({ exited: code }))]).catch((error) => error);
    if (result instanceof Error || result?.exited !== undefined) {
      await this.stop();
      const reason = result instanceof Error ? result.message : `code-server exited with ${result.exited} before /healthz answered`;
      throw new Error(`${reason}\n--- ${this.outputFile} (tail) ---\n${tail(this.outputFile, 40)}`);
    }
    this.log(`listening on ${this.url} (run folder ${this.runDir})`);
    return this;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async healthz() {
    try {
      const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) });
      return response.ok;
    } catch {
      return false;
    }
  }

  /** The workbench URL for `folder`; `payload` runs extension tests (see run-integration.mjs). */
  workbenchUrl(folder, payload) {
    let url = `${this.url}/?folder=${encodeURIComponent(folder)}`;
    if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return url;
  }

  /** A `vscode-remote://` URI for a path on this machine, with the authority the browser uses. */
  remoteUri(file) {
    return `vscode-remote://127.0.0.1:${this.port}${encodeURI(file)}`;
  }

  /** Kills the whole process group (server, extension hosts, watchers). */
  async stop() {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child.pid, 'SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) killGroup(child.pid, 'SIGKILL');
    killGroup(child.pid, 'SIGKILL'); // stragglers in the group that ignored SIGTERM
    unregisterCleanup(this);
  }

  /** The extension host's own log and our output channel's, under the user data dir, newest session first. */
  extensionHostLogs() {
    const logs = path.join(this.userDataDir, 'logs');
    if (!fs.existsSync(logs)) return [];
    return fs
      .readdirSync(logs, { recursive: true })
      .map((name) => path.join(logs, String(name)))
      .filter((file) => /exthost\d*\/(remoteexthost|exthost)\.log$|gpt-image-studio/.test(file) && fs.statSync(file).isFile())
      .sort()
      .reverse();
  }

  /**
   * The first activation of our extension, read from the logs: `fromHostMs` runs from the extension
   * host's "_doActivateExtension" line to our own "activated in N ms" line (loading the bundle plus
   * activate()), `activateMs` is what activate() measured itself. Undefined when either line is missing.
   */
  activationTime() {
    const stamp = (line) => new Date(line.slice(0, 23).replace(' ', 'T')).getTime();
    const files = this.extensionHostLogs().reverse();
    const read = (pattern) => files.filter((file) => pattern.test(file)).flatMap((file) => fs.readFileSync(file, 'utf8').split('\n'));
    const hostLine = read(/(remote)?exthost\.log$/).find((line) => line.includes(`_doActivateExtension ${extensionId}`));
    const ownLine = read(/gpt-image-studio/).find((line) => /activated in [\d.]+ ms/.test(line));
    if (!hostLine || !ownLine) return undefined;
    return {
      fromHostMs: stamp(ownLine) - stamp(hostLine),
      activateMs: Number(/activated in ([\d.]+) ms/.exec(ownLine)[1]),
    };
  }

  /** The extension host log(s) and the server output, for a failure report. */
  describeLogs(lines = 80) {
    const parts = [];
    for (const file of this.extensionHostLogs()) {
      const text = tail(file, lines);
      if (text.trim()) parts.push(`--- ${file} ---\n${text}`);
    }
    parts.push(`--- ${this.outputFile} ---\n${tail(this.outputFile, 30)}`);
    return parts.join('\n');
  }
}

export function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

// Servers still running when this process exits (an error, Ctrl+C) are killed with it.
const running = new Set();
let cleanupInstalled = false;
function registerCleanup(server) {
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.once('exit', () => {
      for (const s of running) if (s.process) killGroup(s.process.pid, 'SIGKILL');
    });
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.once(signal, () => process.exit(130));
    }
  }
  running.add(server);
}
function unregisterCleanup(server) {
  running.delete(server);
}

// ---------------------------------------------------------------------------------------------------
// The workbench in Chromium

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Launches headless Chromium with a fresh profile in `profileDir`.
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, page: import('playwright-core').Page }>}
 */
export async function launchBrowser({ harness, profileDir, viewport = { width: 1400, height: 900 } }) {
  const { chromium } = createRequire(path.join(repoRoot, 'package.json'))('playwright-core');
  const context = await withTimeout(
    chromium.launchPersistentContext(profileDir, {
      executablePath: harness.chromium,
      headless: true,
      args: chromiumArgs,
      viewport,
    }),
    60_000,
    `Chromium (${harness.chromium}) to launch`,
  );
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** Opens `url` and waits until the workbench has restored its editors and views. */
export async function openWorkbench(page, url, { timeout = 90_000 } = {}) {
  await page.goto(url, { timeout, waitUntil: 'domcontentloaded' });
  await page
    .waitForFunction(() => typeof window.driver?.whenWorkbenchRestored === 'function', null, { timeout })
    .catch((error) => {
      throw new Error(`window.driver did not appear within ${timeout / 1000} s (is enable-smoke-test-driver set?): ${error.message}`);
    });
  await withTimeout(
    page.evaluate(() => window.driver.whenWorkbenchRestored()),
    timeout,
    'window.driver.whenWorkbenchRestored()',
  );
}

/**
 * Reloads the window the way a user does (Developer: Reload Window): an orderly shutdown flushes the
 * workbench's state — open editors, a webview's serialized state, hot-exit backups — which a bare
 * page.goto can cut short on a busy machine, so a panel would then not come back.
 */
export async function reloadWorkbench(page, { timeout = 90_000 } = {}) {
  let reloading = false;
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout });
  void navigated.then(() => (reloading = true), () => undefined);
  // The click starts the reload: on a busy machine it can time out while the page goes away, and a retry
  // would then type into the reloading page (a second reload). Once the page navigated, the click worked.
  await runCommand(page, 'Developer: Reload Window', { succeeded: () => reloading });
  await navigated;
  await page.waitForFunction(() => typeof window.driver?.whenWorkbenchRestored === 'function', null, { timeout });
  await withTimeout(page.evaluate(() => window.driver.whenWorkbenchRestored()), timeout, 'the workbench after Reload Window');
}

/**
 * Runs a command by its palette title, e.g. `GPT Image: Set API Key`, by clicking its row. A miss is
 * retried with a fresh palette unless `succeeded()` says the command ran anyway.
 */
export async function runCommand(page, title, { timeout = 30_000, succeeded = () => false } = {}) {
  const widget = page.locator('.quick-input-widget');
  const row = widget
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }) })
    .first();
  const deadline = Date.now() + timeout;
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    try {
      await widget.locator('input').waitFor({ state: 'visible', timeout: 5000 });
      await page.keyboard.type(title);
      // The palette computes its list when it opens; commands of a just-installed extension show up
      // a few seconds after the workbench is restored, so a miss is retried with a fresh palette.
      await row.waitFor({ state: 'visible', timeout: 2500 });
      // Short too: the palette can close between showing the row and the click (a webview taking focus
      // as it loads), and a click waiting 30 s for a row that is gone would use up every retry.
      await row.click({ timeout: 2500 });
      return;
    } catch (error) {
      // A command that navigates (Reload Window) may have run although its click timed out.
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (succeeded()) return;
      if (Date.now() > deadline) {
        throw new Error(`command "${title}" did not appear in the command palette within ${timeout / 1000} s (${attempt} tries): ${error.message}`);
      }
    }
  }
}

/** The inner frame of our extension's webview (two nested iframes). */
export function webviewFrame(page) {
  return page
    .frameLocator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`)
    .frameLocator('iframe#active-frame');
}

let screenshotCount = 0;
let lastScreenshotPath = '';

/** Saves a numbered screenshot into .test-artifacts/<folder>/ and returns its path. */
export async function screenshot(page, name, { folder = 'e2e' } = {}) {
  const dir = path.join(artifactsRoot, folder);
  fs.mkdirSync(dir, { recursive: true });
  screenshotCount += 1;
  const file = path.join(dir, `${String(screenshotCount).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  lastScreenshotPath = file;
  return file;
}

export function lastScreenshot() {
  return lastScreenshotPath;
}

/** Clears a folder of .test-artifacts/ before a run, so old screenshots are not mistaken for new ones. */
export function resetArtifacts(folder) {
  fs.rmSync(path.join(artifactsRoot, folder), { recursive: true, force: true });
  fs.mkdirSync(path.join(artifactsRoot, folder), { recursive: true });
  screenshotCount = 0;
  lastScreenshotPath = '';
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
