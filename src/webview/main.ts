import { customSizeValue, plural, type ErrorAction } from '../shared/labels';
import type { GalleryEntry, RunId, ToWebview } from '../shared/protocol';
import { KnownRuns } from '../shared/runScope';
import type { ImageOptionField } from '../shared/options';
import {
  applyDefaults,
  draft,
  form,
  options,
  resetEditedToDefaults,
  reuseEntry,
  setUpForm,
  syncCustomSize,
  updatePromptCount,
  validate,
} from './composer';
import { ui } from './dom';
import { clearAlert, isRunning, setRunning, setStatus, showAlert, showElapsed } from './feedback';
import { updateEstimate } from './estimate';
import { cardActionOf, renderGallery } from './gallery';
import { showCard } from './variants';
import { clearPreviews, endPreviews, showPreview, startPreviews } from './previews';
import { vscode, type SavedState } from './vscodeApi';
import { EditMode } from './editMode';
import { parseSavedEdit } from '../shared/editState';

const pageSize = 24;
const isMac = /Mac|iPhone|iPad/.test(navigator.userAgent);

const saved: SavedState = vscode.getState() ?? {};
let entries: readonly GalleryEntry[] = [];
let visibleCount = saved.visibleCount ?? pageSize;
const runs = new KnownRuns();
/** What each run asked for, for its preview tiles. */
const asked = new Map<RunId, { readonly count: number; readonly size: string; readonly prompt: string }>();
form.edited = new Set<ImageOptionField>(saved.edited ?? []);

setUpForm(saved.draft);
const edit = new EditMode(() => persist());
const restoredEdit = parseSavedEdit(saved.edit);
if (restoredEdit) edit.restore(restoredEdit);
ui.shortcutHint.textContent = ` · ${isMac ? '⌘' : 'Ctrl'}+Enter to generate`;

function persist(): void {
  const editState = edit.snapshot();
  vscode.setState({ draft: draft(), edited: [...form.edited], visibleCount, ...(editState && { edit: editState }) });
}

/** 128 random bits as hex: unique per run without asking the host first (see src/shared/protocol.ts). */
function newRunId(): RunId {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function generateOrCancel(): void {
  if (isRunning()) {
    for (const runId of runs.goingIds()) vscode.postMessage({ type: 'cancel', runId });
    setStatus('Cancelling…');
    return;
  }
  form.attempted = true;
  const invalid = validate(true);
  if (invalid) {
    invalid.focus();
    return;
  }
  form.attempted = false;
  clearAlert();
  const runId = newRunId();
  const chosen = options();
  if (edit.isActive()) {
    const message = edit.message(runId, ui.prompt.value, chosen);
    if (!message) return;
    runs.request(runId);
    vscode.postMessage(message);
    return;
  }
  runs.request(runId);
  asked.set(runId, { count: chosen.n, size: chosen.size, prompt: ui.prompt.value });
  vscode.postMessage({ type: 'generate', runId, prompt: ui.prompt.value, options: chosen });
}

/** The run whose error alert offers Try Again, and what its previews were sized for. */
let failedRun: { readonly runId: RunId; readonly asked?: { count: number; size: string; prompt: string } } | undefined;

/** Try Again in the alert: the host sends the failed run's request once more, as a new run. */
function tryAgain(): void {
  if (!failedRun || isRunning()) return;
  clearAlert();
  const runId = newRunId();
  runs.request(runId);
  if (failedRun.asked) asked.set(runId, failedRun.asked);
  vscode.postMessage({ type: 'tryAgain', runId: failedRun.runId, newRunId: runId });
  failedRun = undefined;
}

function showGallery(): void {
  const total = renderGallery(ui.gallery, entries, visibleCount, Date.now());
  ui.galleryEmpty.hidden = total > 0;
  ui.showMore.hidden = total <= visibleCount;
  ui.showMore.textContent = `Show more (${total - Math.min(total, visibleCount)} older)`;
}

function reuse(id: string): void {
  const entry = entries.find((candidate) => candidate.id === id);
  if (!entry) return;
  reuseEntry(entry);
  persist();
  if (entry.editedFrom) {
    // An edit: its prompt and options, and edit mode again with the images it was made from (the host
    // answers with those that still exist; none left, and Generate makes a new image from the prompt).
    setStatus(`Prompt and options of this edit of ${entry.editedFrom.name} copied; opening the images it was made from…`);
    vscode.postMessage({ type: 'reuseEdit', id });
    return;
  }
  ui.prompt.focus();
  ui.prompt.scrollIntoView({ block: 'nearest' });
  setStatus('Prompt and options copied into the form.');
}

/** Messages of runs this page does not know are dropped here; see KnownRuns. */
function receive(message: ToWebview): void {
  if (!runs.concerns(message)) return;
  runs.note(message);
  show(message);
  edit.syncRunning(isRunning());
}

function show(message: ToWebview): void {
  switch (message.type) {
    case 'init':
      applyDefaults(message.defaults);
      persist();
      updateEstimate();
      ui.keyHint.hidden = message.hasKey;
      entries = message.entries;
      showGallery();
      edit.dropMissing((id) => entries.some((entry) => entry.id === id));
      runs.adopt(message.running);
      setRunning(runs.isAnyGoing(), message.running[0]?.elapsedSeconds);
      if (runs.isAnyGoing()) setStatus('Generating…');
      // Outcomes of runs an earlier page asked for: shown as they would have been. The entries above
      // already hold a missed result's images; only its message is new.
      for (const missed of message.missed) {
        if (missed.type === 'result') setStatus(missed.message);
        else show(missed);
      }
      document.body.classList.add('ready');
      return;
    case 'defaults':
      applyDefaults(message.defaults);
      persist();
      updateEstimate();
      return;
    case 'hasKey':
      ui.keyHint.hidden = message.hasKey;
      return;
    case 'started': {
      setRunning(true);
      clearAlert();
      const request = asked.get(message.runId);
      if (request) startPreviews(message.runId, request.count, request.size, request.prompt);
      else clearPreviews();
      const what = ui.count.value === '1' ? 'an image' : plural(Number(ui.count.value), 'image');
      setStatus(edit.isActive() ? `Editing (${what})… press Escape to cancel.` : `Generating ${what}… press Escape to cancel.`);
      return;
    }
    case 'watch':
      // A palette generation: its previews are shown here; the form is not running.
      runs.request(message.runId);
      asked.set(message.runId, { count: message.count, size: message.size, prompt: message.prompt });
      startPreviews(message.runId, message.count, message.size, message.prompt);
      return;
    case 'previewEnd':
      endPreviews(message.runId, message.failed);
      asked.delete(message.runId);
      return;
    case 'preview': {
      const request = asked.get(message.runId);
      if (!request) {
        // A reloaded page: the run is known from `init`, its options are not.
        startPreviews(message.runId, message.count, 'auto', '');
        asked.set(message.runId, { count: message.count, size: 'auto', prompt: '' });
      }
      showPreview(message.runId, message.imageIndex, message.src, asked.get(message.runId)?.prompt ?? '');
      return;
    }
    case 'progress':
      if (runs.isGoing(message.runId)) showElapsed(message.elapsedSeconds);
      return;
    case 'result':
      endPreviews(message.runId, false);
      asked.delete(message.runId);
      setRunning(runs.isAnyGoing());
      entries = [message.entry, ...entries.filter((entry) => entry.id !== message.entry.id)];
      showGallery();
      setStatus(message.message);
      return;
    case 'stopped':
      endPreviews(message.runId, false);
      asked.delete(message.runId);
      setRunning(runs.isAnyGoing());
      setStatus(message.message);
      return;
    case 'error':
      // The alert's Try Again re-sends this run (the host keeps what it sent); only the last one.
      failedRun = message.runId !== undefined && message.actions.includes('tryAgain') ? { runId: message.runId, asked: asked.get(message.runId) } : undefined;
      if (message.runId !== undefined) {
        endPreviews(message.runId, true);
        asked.delete(message.runId);
        setRunning(runs.isAnyGoing());
        setStatus('');
      }
      showAlert(message.message, message.actions);
      return;
    case 'status':
      setStatus(message.message);
      return;
    case 'entries':
      entries = message.entries;
      showGallery();
      return;
    case 'editImage':
      if (message.purpose === 'source') edit.open(message.image);
      else edit.addReference(message.image);
      return;
    case 'editReused':
      edit.reopen(message.images, message.missing);
      if (message.images.length === 0) ui.prompt.focus();
      return;
    default: {
      // Every ToWebview type has its case: one added without a case here does not compile.
      const unhandled: never = message;
      return unhandled;
    }
  }
}

// Only the extension host posts to this window; ignore anything without a known shape.
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const data = event.data;
  if (typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string') {
    receive(data as ToWebview);
  }
});

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  generateOrCancel();
});

ui.form.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
    event.preventDefault();
    if (!isRunning()) generateOrCancel();
  }
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && isRunning()) {
    event.preventDefault();
    generateOrCancel();
  }
});

ui.prompt.addEventListener('input', () => {
  updatePromptCount();
  updateEstimate();
  validate(false);
  persist();
});

const optionControls: readonly [HTMLSelectElement, ImageOptionField][] = [
  [ui.size, 'size'],
  [ui.quality, 'quality'],
  [ui.count, 'n'],
  [ui.format, 'outputFormat'],
  [ui.background, 'background'],
];
for (const [control, field] of optionControls) {
  control.addEventListener('change', () => {
    form.edited.add(field);
    if (control === ui.size) {
      syncCustomSize();
      if (ui.size.value === customSizeValue && !ui.customSize.value) ui.customSize.focus();
    }
    validate(false);
    persist();
  });
}

ui.customSize.addEventListener('input', () => {
  form.edited.add('size');
  validate(false);
  persist();
});

ui.keyHintButton.addEventListener('click', () => vscode.postMessage({ type: 'errorAction', action: 'setApiKey' }));

ui.alert.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button') : null;
  if (!button) return;
  if (button.dataset.dismiss) {
    clearAlert();
    ui.prompt.focus();
    return;
  }
  const action = button.dataset.action as ErrorAction | undefined;
  if (action === 'tryAgain') tryAgain();
  else if (action) vscode.postMessage({ type: 'errorAction', action });
});

ui.gallery.addEventListener('click', (event) => {
  const action = cardActionOf(event.target);
  if (!action) return;
  if (action.command === 'reuse') reuse(action.id);
  else if (action.command === 'showCard') {
    // A version or parent beyond the shown page: open its file instead.
    if (!showCard(ui.gallery, action.id, action.index)) vscode.postMessage({ type: 'open', id: action.id, index: action.index });
  } else if (action.command === 'discardOthers' || action.command === 'openParent') vscode.postMessage({ type: action.command, id: action.id });
  else if (action.command === 'edit' || action.command === 'useAsReference') {
    vscode.postMessage({ type: 'describeImage', purpose: action.command === 'edit' ? 'source' : 'reference', id: action.id, index: action.index });
  } else vscode.postMessage({ type: action.command, id: action.id, index: action.index });
});

ui.showMore.addEventListener('click', () => {
  visibleCount += pageSize;
  showGallery();
  persist();
});

ui.form.addEventListener('change', () => {
  resetEditedToDefaults();
  persist();
  updateEstimate();
});
ui.customSize.addEventListener('input', updateEstimate);

ui.previewNote.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button[data-try-again]') : null;
  if (button && !isRunning()) generateOrCancel();
});

vscode.postMessage({ type: 'ready' });
