import { MaskHistory, toImagePoint, toImageRadius, type MaskOp, type MaskPaint } from '../shared/maskModel';
import { fitsWorkBudget, rasterizeMask } from '../shared/maskRaster';

/** The on-screen canvas is at most this many pixels on its long side (the mask itself is made on the host at full size). */
const maxCanvasSide = 1024;
/** Keyboard cursor steps in displayed pixels (Shift: ×4). */
const keyStep = 8;

export interface MaskBrushElements {
  readonly frame: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly cursor: HTMLElement;
  readonly brush: HTMLButtonElement;
  readonly eraser: HTMLButtonElement;
  readonly size: HTMLInputElement;
  readonly sizeValue: HTMLElement;
  readonly undo: HTMLButtonElement;
  readonly redo: HTMLButtonElement;
  readonly clear: HTMLButtonElement;
  readonly invert: HTMLButtonElement;
  readonly state: HTMLElement;
}

/**
 * The mask brush (issue #13): a `<canvas>` laid over the image's `<img>` (the image is never drawn into
 * it: a webview image is cross-origin and would taint the canvas). Strokes are recorded in image
 * pixels (src/shared/maskModel.ts); the canvas shows them as a tint, the host turns them into the mask.
 * Pointer input (mouse, pen, touch) and the keyboard (arrows move a cursor, Space paints).
 */
export class MaskBrush {
  private readonly history = new MaskHistory();
  private natural = { width: 1, height: 1 };
  private scale = 1;
  private erase = false;
  private stroke: { erase: boolean; radius: number; points: number[] } | undefined;
  private pointerId: number | undefined;
  /** Keyboard cursor, displayed pixels from the frame's top-left. */
  private cursor = { x: 0, y: 0 };
  private tint = '#f14c4c';

  constructor(private readonly el: MaskBrushElements, private readonly onChange: () => void) {
    const { canvas } = el;
    canvas.addEventListener('pointerdown', (event) => this.pointerDown(event));
    canvas.addEventListener('pointermove', (event) => this.pointerMove(event));
    canvas.addEventListener('pointerup', (event) => this.pointerUp(event));
    canvas.addEventListener('pointercancel', (event) => this.pointerUp(event));
    canvas.addEventListener('keydown', (event) => this.keyDown(event));
    canvas.addEventListener('keyup', (event) => this.keyUp(event));
    canvas.addEventListener('focus', () => this.showCursor(true));
    canvas.addEventListener('blur', () => {
      this.finishStroke();
      this.showCursor(false);
    });
    el.brush.addEventListener('click', () => this.setErase(false));
    el.eraser.addEventListener('click', () => this.setErase(true));
    el.size.addEventListener('input', () => this.updateSize());
    el.undo.addEventListener('click', () => this.undo());
    el.redo.addEventListener('click', () => this.redo());
    el.clear.addEventListener('click', () => this.apply({ kind: 'clear' }));
    el.invert.addEventListener('click', () => this.apply({ kind: 'invert' }));
    this.setErase(false);
    this.updateSize();
    // A theme change (VS Code sets body classes and new colours) gets the new tint at once.
    new MutationObserver(() => this.redraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  /** A new image: an empty mask at its natural size (from the host). */
  reset(width: number, height: number): void {
    this.natural = { width, height };
    this.scale = Math.min(1, maxCanvasSide / Math.max(width, height));
    this.el.canvas.width = Math.max(1, Math.round(width * this.scale));
    this.el.canvas.height = Math.max(1, Math.round(height * this.scale));
    this.history.reset();
    this.stroke = undefined;
    this.cursor = { x: 0, y: 0 };
    this.redraw();
  }

  /** What the edit sends: undefined when nothing is painted (the whole image may change). */
  paint(): MaskPaint | undefined {
    this.finishStroke();
    if (this.history.isEmpty()) return undefined;
    return { width: this.natural.width, height: this.natural.height, ops: [...this.history.current()] };
  }

  /** The operations for the webview state (not finishing a stroke under way); undefined when there are none. */
  saved(): MaskPaint | undefined {
    const ops = this.history.current();
    return ops.length === 0 ? undefined : { width: this.natural.width, height: this.natural.height, ops: [...ops] };
  }

  /** Brings back a saved mask (checked by parseSavedEdit) for the image now shown: its operations replayed, undoable. */
  restore(paint: MaskPaint): void {
    if (paint.width !== this.natural.width || paint.height !== this.natural.height) return;
    this.history.reset();
    for (const op of paint.ops) this.history.push(op);
    this.redraw();
  }

  undo(): void {
    this.finishStroke();
    if (this.history.undo()) this.redraw();
  }

  redo(): void {
    this.finishStroke();
    if (this.history.redo()) this.redraw();
  }

  private apply(op: MaskOp): void {
    this.finishStroke();
    if (this.history.push(op)) this.redraw();
  }

  private setErase(erase: boolean): void {
    this.erase = erase;
    this.el.brush.setAttribute('aria-pressed', String(!erase));
    this.el.eraser.setAttribute('aria-pressed', String(erase));
    this.el.frame.classList.toggle('erasing', erase);
  }

  private updateSize(): void {
    this.el.sizeValue.textContent = `${this.el.size.value} px`;
    this.placeCursor();
  }

  /** The brush radius in image pixels for the image's current displayed width. */
  private radius(): number {
    return toImageRadius(Number(this.el.size.value) / 2, this.el.canvas.getBoundingClientRect().width, this.natural.width);
  }

  private imagePoint(clientX: number, clientY: number): [number, number] {
    const rect = this.el.canvas.getBoundingClientRect();
    return toImagePoint(clientX - rect.left, clientY - rect.top, rect, this.natural);
  }

  private pointerDown(event: PointerEvent): void {
    if (event.button !== 0 || this.stroke) return;
    event.preventDefault();
    this.el.canvas.focus({ preventScroll: true });
    this.el.canvas.setPointerCapture(event.pointerId);
    this.pointerId = event.pointerId;
    this.startStroke(this.imagePoint(event.clientX, event.clientY));
  }

  private pointerMove(event: PointerEvent): void {
    if (event.pointerId !== this.pointerId || !this.stroke) return;
    const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    for (const each of events.length ? events : [event]) this.extendStroke(this.imagePoint(each.clientX, each.clientY));
  }

  private pointerUp(event: PointerEvent): void {
    if (event.pointerId !== this.pointerId) return;
    this.pointerId = undefined;
    this.finishStroke();
  }

  private keyDown(event: KeyboardEvent): void {
    const arrows: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = arrows[event.key];
    if (move) {
      event.preventDefault();
      const rect = this.el.canvas.getBoundingClientRect();
      const step = keyStep * (event.shiftKey ? 4 : 1);
      this.cursor = {
        x: Math.min(rect.width, Math.max(0, this.cursor.x + move[0] * step)),
        y: Math.min(rect.height, Math.max(0, this.cursor.y + move[1] * step)),
      };
      this.placeCursor();
      if (this.stroke) this.extendStroke(this.cursorPoint());
    } else if ((event.key === ' ' || event.key === 'Enter') && !event.repeat && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      if (!this.stroke) this.startStroke(this.cursorPoint());
    } else if (event.key === 'e' || event.key === 'E') {
      event.preventDefault();
      this.setErase(!this.erase);
    } else if (event.key === '[' || event.key === ']') {
      event.preventDefault();
      this.el.size.stepUp(event.key === ']' ? 4 : -4);
      this.updateSize();
    }
  }

  private keyUp(event: KeyboardEvent): void {
    if ((event.key === ' ' || event.key === 'Enter') && this.pointerId === undefined) this.finishStroke();
  }

  private cursorPoint(): [number, number] {
    const rect = this.el.canvas.getBoundingClientRect();
    return toImagePoint(this.cursor.x, this.cursor.y, rect, this.natural);
  }

  private startStroke([x, y]: [number, number]): void {
    this.stroke = { erase: this.erase, radius: this.radius(), points: [round(x), round(y)] };
    this.drawSegment(x, y, x, y);
  }

  private extendStroke([x, y]: [number, number]): void {
    const stroke = this.stroke;
    if (!stroke) return;
    const px = stroke.points.at(-2);
    const py = stroke.points.at(-1);
    if (px === undefined || py === undefined) return; // not reached: a stroke starts with its first point
    // Points closer than a quarter of the radius add nothing visible: fewer, smaller messages.
    if (Math.hypot(x - px, y - py) < Math.max(1, stroke.radius / 4)) return;
    stroke.points.push(round(x), round(y));
    this.drawSegment(px, py, x, y);
  }

  private finishStroke(): void {
    const stroke = this.stroke;
    if (!stroke) return;
    this.stroke = undefined;
    const op: MaskOp = { kind: 'stroke', ...stroke };
    // The host refuses more painting than its work budget: so does the brush (the stroke is dropped).
    if (fitsWorkBudget([...this.history.current(), op], this.natural.width, this.natural.height)) this.history.push(op);
    // The exact raster replaces the live drawing: what is shown is what the host will make.
    this.redraw();
  }

  /** Live drawing of one segment in canvas pixels (opaque; the canvas itself is semi-transparent). */
  private drawSegment(ax: number, ay: number, bx: number, by: number): void {
    const context = this.el.canvas.getContext('2d');
    const stroke = this.stroke;
    if (!context || !stroke) return;
    context.globalCompositeOperation = stroke.erase ? 'destination-out' : 'source-over';
    context.strokeStyle = this.tint;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = Math.max(1, stroke.radius * 2 * this.scale);
    context.beginPath();
    context.moveTo(ax * this.scale, ay * this.scale);
    context.lineTo(bx * this.scale + (ax === bx && ay === by ? 0.01 : 0), by * this.scale);
    context.stroke();
    context.globalCompositeOperation = 'source-over';
  }

  /** The whole mask from the operations, as the host will rasterize it, tinted. */
  private redraw(): void {
    const { canvas } = this.el;
    const context = canvas.getContext('2d');
    if (!context) return;
    this.tint = readTint(canvas, context);
    const [r, g, b] = rgbOf(context, this.tint);
    const cover = rasterizeMask(this.history.current(), canvas.width, canvas.height, this.scale);
    const image = context.createImageData(canvas.width, canvas.height);
    for (let i = 0; i < cover.length; i++) {
      if (!cover[i]) continue;
      image.data[i * 4] = r;
      image.data[i * 4 + 1] = g;
      image.data[i * 4 + 2] = b;
      image.data[i * 4 + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    const painted = !this.history.isEmpty();
    this.el.undo.disabled = !this.history.canUndo();
    this.el.redo.disabled = !this.history.canRedo();
    this.el.clear.disabled = !painted;
    this.el.state.textContent = painted ? 'Mask: the tinted area will change; the rest is kept.' : 'No mask: the whole image may change. Paint over the area to change.';
    this.onChange();
  }

  private showCursor(visible: boolean): void {
    this.el.cursor.hidden = !visible;
    this.placeCursor();
  }

  private placeCursor(): void {
    const size = Number(this.el.size.value);
    const style = this.el.cursor.style;
    style.width = style.height = `${size}px`;
    style.left = `${this.cursor.x - size / 2}px`;
    style.top = `${this.cursor.y - size / 2}px`;
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The theme's tint (`--mask-tint` in media/edit.css, from VS Code's theme colours). */
function readTint(canvas: HTMLCanvasElement, context: CanvasRenderingContext2D): string {
  const value = getComputedStyle(canvas).getPropertyValue('--mask-tint').trim();
  context.fillStyle = '#f14c4c';
  if (value) context.fillStyle = value;
  return String(context.fillStyle);
}

/** A colour the canvas normalized (`#rrggbb` or `rgba(r, g, b, a)`) as RGB. */
function rgbOf(context: CanvasRenderingContext2D, color: string): [number, number, number] {
  context.fillStyle = color;
  const normalized = String(context.fillStyle);
  const [, r, g, b] = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(normalized) ?? [];
  if (r && g && b) return [parseInt(r, 16), parseInt(g, 16), parseInt(b, 16)];
  const [, red, green, blue] = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(normalized) ?? [];
  return red && green && blue ? [Number(red), Number(green), Number(blue)] : [241, 76, 76];
}
