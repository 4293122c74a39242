// A stand-in `vscode` module for timing require + activate of dist/extension.js in plain Node. Only the
// values activation reads are real (version, enums, EventEmitter, Disposable); every other property is
// a callable, constructible proxy that returns more of the same, so API calls cost ~nothing. The number
// measured is our own code: bundle parse/compile, module init and activate(), not VS Code's side.
import Module, { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function anything(name) {
  const cache = new Map();
  const target = function () {};
  return new Proxy(target, {
    get(t, prop) {
      if (prop === 'then') return undefined; // not a thenable
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === 'toString' || prop === 'valueOf') return () => name;
      if (prop === 'prototype') return t.prototype;
      // Iterated like an empty list (`for (const folder of workspace.workspaceFolders ?? [])`).
      if (prop === Symbol.iterator) return function* () {};
      if (typeof prop === 'symbol') return undefined;
      if (!cache.has(prop)) cache.set(prop, anything(`${name}.${prop}`));
      return cache.get(prop);
    },
    // Assigned properties (statusBarItem.name = …) read back as assigned.
    set(t, prop, value) {
      cache.set(prop, value);
      return true;
    },
    // workspace.fs is all promises (the preview cleanup at activation awaits a delete).
    apply: () => (/\.fs\.\w+$/.test(name) ? Promise.resolve(undefined) : anything(`${name}()`)),
    construct: () => anything(`new ${name}`),
  });
}

class Disposable {
  static from(...items) {
    return new Disposable(() => items.forEach((item) => item?.dispose?.()));
  }
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  dispose() {
    this.callOnDispose?.();
  }
}

class EventEmitter {
  listeners = new Set();
  event = (listener) => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value) {
    for (const listener of this.listeners) listener(value);
  }
  dispose() {
    this.listeners.clear();
  }
}

const known = {
  version: '1.101.0',
  Disposable,
  EventEmitter,
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2, Three: 3 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
};

// A plain object with every name listed: bundlers copy a CommonJS module's own keys (esbuild's __toESM),
// so a key missing here would be missing in the bundle, even if a proxy could answer it.
const namespaces = [
  'window', 'workspace', 'commands', 'env', 'languages', 'extensions', 'l10n', 'authentication', 'tasks',
  'debug', 'scm', 'tests', 'chat', 'lm', 'notebooks', 'Uri', 'Range', 'Position', 'Selection', 'Location',
  'ThemeIcon', 'ThemeColor', 'SnippetString', 'RelativePattern', 'MarkdownString', 'CancellationTokenSource',
  'WorkspaceEdit', 'TextEdit', 'FileType', 'FileSystemError', 'StatusBarAlignment', 'TreeItem', 'QuickPickItemKind',
  'TextEditorRevealType', 'EndOfLine', 'DiagnosticSeverity', 'UIKind', 'ColorThemeKind', 'LogLevel',
  // src/editor/imageDrop.ts reads DocumentDropOrPasteEditKind.Empty at load (issue #15's drop provider).
  'DocumentDropOrPasteEditKind', 'DocumentDropEdit', 'DataTransferItem', 'CodeLens',
];
export const vscodeStub = { ...known };
for (const name of namespaces) vscodeStub[name] = anything(`vscode.${name}`);

/** Makes `require('vscode')` return the stub in this process. */
export function installVscodeStub() {
  const id = path.join(path.dirname(new URL(import.meta.url).pathname), '__vscode_stub__.js');
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? id : resolve.call(this, request, ...rest);
  };
  const mod = new Module(id);
  mod.filename = id;
  mod.loaded = true;
  mod.exports = vscodeStub;
  require.cache[id] = mod;
}

function memento() {
  const values = new Map();
  return {
    keys: () => [...values.keys()],
    get: (key, fallbackValue) => (values.has(key) ? values.get(key) : fallbackValue),
    update: async (key, value) => void values.set(key, value),
  };
}

/** An ExtensionContext with the fields activation uses. */
export function fakeContext(extensionPath) {
  const secretsChanged = new EventEmitter();
  const uri = { scheme: 'file', path: extensionPath, fsPath: extensionPath, toString: () => `file://${extensionPath}` };
  return {
    subscriptions: [],
    extensionPath,
    extensionUri: uri,
    extensionMode: known.ExtensionMode.Production,
    extension: { id: 'gpt-image-studio.gpt-image-studio', packageJSON: require(path.join(extensionPath, 'package.json')) },
    secrets: {
      get: async () => undefined,
      store: async () => undefined,
      delete: async () => undefined,
      onDidChange: secretsChanged.event,
    },
    workspaceState: memento(),
    globalState: { ...memento(), setKeysForSync() {} },
    globalStorageUri: uri,
    storageUri: uri,
    logUri: uri,
    asAbsolutePath: (relative) => path.join(extensionPath, relative),
  };
}
