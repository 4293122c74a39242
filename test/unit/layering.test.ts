import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as ts from 'typescript';

// The dependency rule of src/ (README, "Layout"): shared imports nothing but shared; core adds Node and
// undici (and jpeg-js, the JPEG decoder of masked edits), never vscode; webview imports shared only; the host folders may import anything but webview.
// Every import, export-from, `import type`, `typeof import()`, dynamic import() and require() counts.

type Layer = 'shared' | 'core' | 'webview' | 'host';
/** What an import points at: a layer of src/, or `vscode`, `node` (built-ins) or an npm package name. */
type Target = Layer | 'vscode' | 'node' | 'outside' | `package:${string}`;

/** The top folder (or file) under src/ → its layer. A new folder fails the test until it is listed here. */
const layerOf: Readonly<Record<string, Layer>> = {
  shared: 'shared',
  core: 'core',
  webview: 'webview',
  common: 'host',
  generation: 'host',
  commands: 'host',
  editor: 'host',
  studio: 'host',
  lm: 'host',
  agent: 'host',
  'extension.ts': 'host',
};

/** What each layer may import. */
const allowed: Readonly<Record<Layer, readonly Target[]>> = {
  shared: ['shared'],
  core: ['core', 'shared', 'node', 'package:undici', 'package:jpeg-js'],
  webview: ['webview', 'shared'],
  host: ['host', 'core', 'shared', 'node', 'vscode', 'package:undici', 'package:jpeg-js', 'package:@modelcontextprotocol/sdk'],
};

const maxLines = 350;

export interface SourceFile {
  /** Posix path relative to the repository root, e.g. `src/core/engine.ts`. */
  readonly path: string;
  readonly text: string;
}

function layerOfPath(file: string): Layer | undefined {
  const [top, second] = file.split('/');
  return top === 'src' && second !== undefined ? layerOf[second] : undefined;
}

function classify(file: string, specifier: string): Target {
  if (specifier === 'vscode') return 'vscode';
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? '')) return 'node';
  if (specifier.startsWith('.')) {
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    return layerOfPath(resolved) ?? 'outside';
  }
  const parts = specifier.split('/');
  return `package:${specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]}`;
}

/** Every breach of the rule table and of the line limit, one sentence each. */
export function checkLayering(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const layer = layerOfPath(file.path);
    if (!layer) {
      problems.push(`${file.path}: not in a known folder of src/ (add its folder to layerOf)`);
      continue;
    }
    for (const imported of ts.preProcessFile(file.text, true, true).importedFiles) {
      const target = classify(file.path, imported.fileName);
      if (!allowed[layer].includes(target)) {
        problems.push(`${file.path}: ${layer} must not import '${imported.fileName}' (${target})`);
      }
    }
    const lines = file.text.endsWith('\n') ? file.text.split('\n').length - 1 : file.text.split('\n').length;
    if (lines > maxLines) problems.push(`${file.path}: ${lines} lines, more than ${maxLines}: split it by concern`);
  }
  return problems;
}

function sourceFiles(): SourceFile[] {
  const root = path.resolve(__dirname, '../../..');
  const src = path.join(root, 'src');
  return fs
    .readdirSync(src, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({
      path: path.relative(root, path.join(src, name)).split(path.sep).join('/'),
      text: fs.readFileSync(path.join(src, name), 'utf8'),
    }));
}

suite('Layering: the dependency rule of src/', () => {
  test('the tree keeps the rule and the line limit', () => {
    const files = sourceFiles();
    assert.ok(files.length > 40, `found only ${files.length} files under src/`);
    assert.deepEqual(checkLayering(files), []);
  });

  test('the checker fails on planted violations of every kind', () => {
    const planted: SourceFile[] = [
      { path: 'src/shared/bad.ts', text: "import * as vscode from 'vscode';\nimport { qualities } from '../core/types';\n" },
      { path: 'src/shared/node.ts', text: "import * as fs from 'node:fs';\nimport { join } from 'path';\n" },
      { path: 'src/core/bad.ts', text: "const vscode = require('vscode');\nexport { x } from '../common/config';\n" },
      { path: 'src/webview/bad.ts', text: "import type { X } from '../core/types';\nconst m = import('../studio/galleryModel');\n" },
      { path: 'src/studio/bad.ts', text: "type W = typeof import('../webview/gallery');\n" },
      { path: 'src/core/other.ts', text: "import { x } from 'left-pad';\n" },
      { path: 'src/newFolder/thing.ts', text: '' },
      { path: 'src/core/long.ts', text: 'const a = 1;\n'.repeat(maxLines + 1) },
    ];
    assert.deepEqual(checkLayering(planted), [
      "src/shared/bad.ts: shared must not import 'vscode' (vscode)",
      "src/shared/bad.ts: shared must not import '../core/types' (core)",
      "src/shared/node.ts: shared must not import 'node:fs' (node)",
      "src/shared/node.ts: shared must not import 'path' (node)",
      "src/core/bad.ts: core must not import 'vscode' (vscode)",
      "src/core/bad.ts: core must not import '../common/config' (host)",
      "src/webview/bad.ts: webview must not import '../core/types' (core)",
      "src/webview/bad.ts: webview must not import '../studio/galleryModel' (host)",
      "src/studio/bad.ts: host must not import '../webview/gallery' (webview)",
      "src/core/other.ts: core must not import 'left-pad' (package:left-pad)",
      'src/newFolder/thing.ts: not in a known folder of src/ (add its folder to layerOf)',
      `src/core/long.ts: ${maxLines + 1} lines, more than ${maxLines}: split it by concern`,
    ]);
  });

  test('what the rule allows passes', () => {
    const fine: SourceFile[] = [
      { path: 'src/core/ok.ts', text: "import { request } from 'undici';\nimport * as fs from 'node:fs';\nimport { maxCount } from '../shared/options';\n" },
      { path: 'src/webview/ok.ts', text: "import type { ToWebview } from '../shared/protocol';\nimport { element } from './dom';\n" },
      { path: 'src/generation/ok.ts', text: "import * as vscode from 'vscode';\nconst engine = require('./engine.js');\n" },
      { path: 'src/extension.ts', text: "import { registerStudio } from './studio/registerStudio';\n" },
      { path: 'src/core/exact.ts', text: 'const a = 1;\n'.repeat(maxLines) },
    ];
    assert.deepEqual(checkLayering(fine), []);
  });
});
