import * as vscode from 'vscode';
import { readConfig } from '../common/config';
import { panelViewType } from '../common/ids';
import { showError } from '../common/errorReporting';
import type { Log } from '../common/log';
import { notify } from '../common/notify';
import type { SaveTarget } from '../core/engine';
import { describeSaveFolder, savedImagesMessage } from '../core/noticeMessages';
import { describeCost } from '../generation/costGuard';
import type { GenerationOutcome } from '../generation/generationService';
import { plural } from '../shared/labels';
import { revealImage } from './imageActions';
import { insertImageLinks, type InsertTarget } from './insertLinks';

const open = 'Open';
const reveal = 'Reveal in Explorer';
const insert = 'Insert';

/**
 * What Generate Image… does with saved images (issue #15 §1): the result must be seen without relying
 * on a toast, which the workbench may file straight into the notification center.
 *
 * - `always` (the default): links go in at the cursor of the editor Generate started from, as a snippet
 *   with the alt text selected (one undo); the notification only offers Open and Reveal as follow-ups.
 * - `ask`: the notification offers Insert, Open and Reveal.
 * - `never`: nothing is inserted; Open and Reveal are offered.
 * Whatever the mode, when there was no editable editor to put links into (the palette with no editor
 * open, a read-only or closed document, or an `always` insert the editor refused), the first image is
 * opened, so a generation that took a minute never ends with nothing visible; unless an Image Studio
 * is visible, whose gallery shows it.
 *
 * Resolves true when the notification now owns the insert target's anchor (it disposes it once answered).
 */
export async function showGenerationResult(
  log: Log,
  outcome: GenerationOutcome,
  target: SaveTarget,
  insertTarget: InsertTarget | undefined,
  resource: vscode.Uri | undefined,
): Promise<boolean> {
  const mode = readConfig(resource).insertAfterGenerate;
  const alt = outcome.request.prompt;
  const [first] = outcome.files;
  if (first === undefined) return false; // not reached: an outcome has at least one file
  const where = describeSaveFolder(first.fsPath, target);
  const usable = insertTarget !== undefined && !insertTarget.document.isClosed && isWritable(insertTarget.document);

  if (mode === 'always' && usable && (await insertImageLinks(insertTarget, outcome.files, alt))) {
    const links = outcome.files.length === 1 ? 'a link' : `${outcome.files.length} links`;
    const message = `${savedImagesMessage(outcome.files.length, where)} and inserted ${links} · cost ${describeCost(outcome.cost)}`;
    void offer(log, message, [open, reveal], outcome, insertTarget);
    return false;
  }
  const canInsert = usable && mode === 'ask';
  // Nowhere to insert, or the editor refused the links: show the image instead. A visible Image Studio
  // shows the new card in its gallery already; opening the image would hide it.
  const refused = usable && mode === 'always';
  if ((!usable || refused) && !studioVisible()) await openImage(first);
  const saved = `${savedImagesMessage(outcome.files.length, where)} · cost ${describeCost(outcome.cost)}`;
  void offer(log, saved, [...(canInsert ? [insert] : []), open, reveal], outcome, insertTarget).then(
    () => insertTarget?.anchor?.dispose(),
  );
  return true;
}

/** A notification whose buttons act whenever the user gets to them; the command is done already. */
async function offer(
  log: Log,
  message: string,
  actions: readonly string[],
  outcome: GenerationOutcome,
  insertTarget: InsertTarget | undefined,
): Promise<void> {
  const labels = actions.map((action) => (action === open && outcome.files.length > 1 ? `Open ${plural(outcome.files.length, 'Image')}` : action));
  let picked: string | undefined;
  try {
    picked = await notify('info', message, labels);
    if (picked === insert && insertTarget) {
      if (!(await insertImageLinks(insertTarget, outcome.files, outcome.request.prompt))) {
        void notify('warning', 'GPT Image: the document was closed or is read-only; the links were not inserted.');
      }
    } else if (picked?.startsWith(open)) {
      for (const file of outcome.files) await vscode.commands.executeCommand('vscode.open', file, { preview: false });
    } else if (picked === reveal && outcome.files[0]) {
      await revealImage(outcome.files[0]);
    }
  } catch (error) {
    // Named after what the user picked: a failed Reveal is not an "Image generation failed".
    await showError(error, log, { action: picked?.startsWith(open) ? 'Open' : picked ?? 'Showing the result' });
  }
}

/** Opens an image in VS Code's image preview, beside nothing: the active group. Never fails the command. */
async function openImage(file: vscode.Uri): Promise<void> {
  try {
    await vscode.commands.executeCommand('vscode.open', file, { preview: true });
  } catch {
    // The notification still offers Open and Reveal.
  }
}

/** False for documents whose file system refuses writes (a read-only mount, git: views…). */
function isWritable(document: vscode.TextDocument): boolean {
  if (document.isUntitled) return true;
  return vscode.workspace.fs.isWritableFileSystem(document.uri.scheme) !== false;
}

/** True when an Image Studio panel is the visible tab of some editor group. */
function studioVisible(): boolean {
  return vscode.window.tabGroups.all.some((group) => {
    const input = group.activeTab?.input;
    return input instanceof vscode.TabInputWebview && input.viewType.endsWith(panelViewType);
  });
}
