import { errorActionLabels, type ErrorAction } from '../shared/labels';
import { ui } from './dom';
import { element } from './gallery';

let running = false;

/** True while a generation runs (the Generate button is Cancel then). */
export function isRunning(): boolean {
  return running;
}

export function setRunning(next: boolean, elapsedSeconds = 0): void {
  running = next;
  ui.generate.textContent = next ? 'Cancel' : 'Generate';
  ui.generate.className = next ? 'secondary' : 'primary';
  ui.generate.title = next ? 'Cancel the request (Escape). Nothing is saved.' : '';
  ui.progress.hidden = !next;
  ui.elapsed.hidden = !next;
  ui.form.setAttribute('aria-busy', String(next));
  if (next) showElapsed(elapsedSeconds);
}

export function showElapsed(seconds: number): void {
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  ui.elapsed.textContent = `${minutes}:${rest} elapsed`;
}

export function setStatus(message: string): void {
  ui.status.textContent = message;
}

export function showAlert(message: string, actions: readonly ErrorAction[]): void {
  const buttons = actions.map((action) => {
    const button = element('button', 'secondary small', errorActionLabels[action]);
    button.type = 'button';
    button.dataset.action = action;
    return button;
  });
  const dismiss = element('button', 'icon small', 'Dismiss');
  dismiss.type = 'button';
  dismiss.dataset.dismiss = 'true';
  const row = element('div', 'alert-actions');
  row.append(...buttons, dismiss);
  ui.alert.replaceChildren(element('p', 'alert-message', message), row);
  // In a narrow panel the alert can be below the fold; bring it into view without moving focus.
  ui.alert.scrollIntoView({ block: 'nearest' });
}

export function clearAlert(): void {
  ui.alert.replaceChildren();
}
