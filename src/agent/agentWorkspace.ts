import * as path from 'node:path';
import * as vscode from 'vscode';
import { assetsFolderSetting } from '../common/config';
import { ImageApiError } from '../core/errors';
import { isInside, resolveAssetsDir, staysInsideRealSync, toPosixRelative, type FolderField } from '../core/paths';
import { realVcsSegment } from '../core/vcsGuard';
import { quoteValue } from '../shared/plainText';

/** The `folder` input names itself in messages: `Input "folder" ("../x") points outside…`. */
export const folderInputField: FolderField = { label: 'Input "folder"', param: 'folder' };

/** Local workspace folders: the only places agent tools read from or write to. */
export function fileWorkspaceFolders(): readonly vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
}

export function requireWorkspace(): readonly [vscode.WorkspaceFolder, ...vscode.WorkspaceFolder[]] {
  const [first, ...rest] = fileWorkspaceFolders();
  if (first === undefined) {
    throw new ImageApiError(
      'validation',
      'No local workspace folder is open, so there is nowhere to save. Ask the user to open the project folder.',
      { param: 'folder' },
    );
  }
  return [first, ...rest];
}

/** A path inside one workspace folder. */
export interface WorkspacePath {
  readonly folder: vscode.WorkspaceFolder;
  readonly absolute: string;
  /** POSIX path relative to the folder; prefixed with the folder's name in a multi-root workspace. */
  readonly shown: string;
}

/**
 * A workspace path an agent gave (`linkFrom`, an edit's images): relative to a workspace folder (in a
 * multi-root workspace it may start with a folder's name, as VS Code shows paths), or absolute inside
 * one. Purely lexical: callers that read the file also check symlinks. Refused when outside every folder.
 */
export function resolveWorkspacePath(value: string, param: string, preferred?: vscode.WorkspaceFolder): WorkspacePath {
  const folders = requireWorkspace();
  const outside = (): ImageApiError =>
    new ImageApiError('validation', `Input "${param}": ${JSON.stringify(value.slice(0, 200))} is outside the workspace. Give a path relative to the workspace folder.`, { param });
  if (path.isAbsolute(value) || /^[a-zA-Z]:[\\/]/.test(value)) {
    const folder = folders.find((candidate) => isInside(candidate.uri.fsPath, value));
    if (!folder) throw outside();
    refuseRealVcs(folder, path.resolve(value), param);
    return at(folder, path.resolve(value), folders.length);
  }
  const [first, ...rest] = value.split(/[\\/]+/);
  const named = folders.length > 1 ? folders.find((candidate) => candidate.name === first) : undefined;
  const folder = named ?? preferred ?? folders[0];
  const relative = named ? rest.join('/') : value;
  const segments = relative.split(/[\\/]+/).filter((segment) => segment !== '' && segment !== '.');
  const absolute = path.resolve(folder.uri.fsPath, ...segments);
  if (!isInside(folder.uri.fsPath, absolute)) throw outside();
  refuseRealVcs(folder, absolute, param);
  return at(folder, absolute, folders.length);
}

/**
 * Refuses `absolute` when, with symlinks resolved, it leads into version control metadata (a folder
 * linked to `.git`): the lexical check in agentInput.ts sees only the name the agent sent.
 */
export function refuseRealVcs(folder: vscode.WorkspaceFolder, absolute: string, param: string): void {
  const vcs = realVcsSegment(folder.uri.fsPath, absolute);
  if (vcs === undefined) return;
  throw new ImageApiError(
    'validation',
    `Input "${param}" leads into version control metadata (${quoteValue(vcs)}) through a symbolic link, which the tools never read or write; use a folder of the project.`,
    { param },
  );
}

function at(folder: vscode.WorkspaceFolder, absolute: string, count: number): WorkspacePath {
  const relative = toPosixRelative(folder.uri.fsPath, absolute) ?? absolute;
  return { folder, absolute, shown: count > 1 ? `${folder.name}/${relative}` : relative };
}

/** The workspace folder's form of a saved file's path, for results. */
export function shownPath(folder: vscode.WorkspaceFolder, absolute: string): string {
  return at(folder, absolute, fileWorkspaceFolders().length).shown;
}

/**
 * Where an agent's images go: `folder` (workspace-relative, default the gptImage.assetsFolder setting)
 * in the workspace folder of `linkFrom`, else of the active editor, else the first. The folder is
 * checked lexically here (before the confirmation); the engine checks it again with symlinks resolved.
 */
export function saveFolderFor(
  folderInput: string | undefined,
  assetsFolder: (folder: vscode.WorkspaceFolder) => string,
  linkFrom?: WorkspacePath,
): { readonly folder: vscode.WorkspaceFolder; readonly relative: string; readonly absolute: string; readonly field: FolderField } {
  const folders = requireWorkspace();
  let folder = linkFrom?.folder;
  let relative = folderInput;
  if (folderInput !== undefined && folders.length > 1) {
    const [first, ...rest] = folderInput.split(/[\\/]+/);
    const named = folders.find((candidate) => candidate.name === first);
    if (named) {
      folder = named;
      relative = rest.join('/');
    }
  }
  if (!folder) {
    const active = vscode.window.activeTextEditor?.document.uri;
    folder = (active && folders.find((candidate) => candidate.uri.toString() === vscode.workspace.getWorkspaceFolder(active)?.uri.toString())) ?? folders[0];
  }
  if (relative === undefined) {
    const setting = assetsFolder(folder);
    return { folder, relative: setting, absolute: resolveAssetsDir(folder.uri.fsPath, setting, assetsFolderSetting), field: assetsFolderSetting };
  }
  const absolute = resolveAssetsDir(folder.uri.fsPath, relative, folderInputField);
  // Already here, so the confirmation never shows a path that would write elsewhere (the engine checks
  // again right before saving, and folder.ts before every file operation).
  if (!staysInsideRealSync(folder.uri.fsPath, absolute)) {
    throw new ImageApiError(
      'validation',
      `Input "folder" (${JSON.stringify(relative.slice(0, 200))}) leads outside the workspace folder through a symbolic link. Use a folder inside the workspace.`,
      { param: 'folder' },
    );
  }
  refuseRealVcs(folder, absolute, 'folder');
  return { folder, relative, absolute, field: folderInputField };
}
