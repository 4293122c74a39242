/**
 * The Studio's edit mode skeleton (issue #13), hidden until Edit is clicked on a card; media/panel.js
 * (src/webview/editMode.ts, maskBrush.ts) fills it in. Static markup only: nothing is interpolated.
 * The mask `<canvas>` lies over the `<img>` and never has the image drawn into it.
 */
export const editModeHtml = `<section id="edit-mode" class="edit-mode" aria-labelledby="edit-heading" hidden>
      <div class="edit-header">
        <h2 id="edit-heading" tabindex="-1">Edit image</h2>
        <button type="button" id="edit-back" class="secondary small" title="Leave edit mode and generate new images">Back to Generate</button>
      </div>
      <p id="edit-size" class="edit-size"></p>
      <div class="mask-stage">
        <div id="mask-frame" class="mask-frame">
          <img id="edit-source" alt="" draggable="false">
          <canvas id="mask-canvas" class="mask-canvas" tabindex="0" role="img"
            aria-label="Mask. Paint the area to change. Keyboard: arrow keys move the brush, hold Space to paint, E switches brush and eraser, [ and ] change the size."
            aria-describedby="mask-state"></canvas>
          <div id="mask-cursor" class="mask-cursor" aria-hidden="true" hidden></div>
        </div>
      </div>
      <div class="mask-tools" role="toolbar" aria-label="Mask brush" aria-controls="mask-canvas">
        <div class="tool-group" role="group" aria-label="Tool">
          <button type="button" id="mask-brush" class="secondary small tool" aria-pressed="true" title="Paint the area to change (E)">Brush</button>
          <button type="button" id="mask-eraser" class="secondary small tool" aria-pressed="false" title="Erase paint (E)">Eraser</button>
        </div>
        <div class="tool-group size-group">
          <label for="brush-size">Brush size</label>
          <input type="range" id="brush-size" min="4" max="200" step="2" value="40" aria-describedby="brush-size-value">
          <span id="brush-size-value" class="brush-size-value"></span>
        </div>
        <div class="tool-group" role="group" aria-label="History">
          <button type="button" id="mask-undo" class="secondary small" title="Undo (Ctrl+Z)">Undo</button>
          <button type="button" id="mask-redo" class="secondary small" title="Redo (Ctrl+Shift+Z or Ctrl+Y)">Redo</button>
          <button type="button" id="mask-clear" class="secondary small" title="Remove all paint (undoable)">Clear</button>
          <button type="button" id="mask-invert" class="secondary small" title="Swap painted and kept areas">Invert</button>
        </div>
      </div>
      <p id="mask-state" class="mask-state" aria-live="polite"></p>
      <div class="edit-images-field">
        <h3 id="edit-images-heading">Images <span class="field-hint">— the first is edited, the others are references</span></h3>
        <ul id="edit-images" class="edit-images" aria-labelledby="edit-images-heading"></ul>
        <button type="button" id="add-reference" class="secondary small" title="Pick reference images from the workspace">Add from Workspace…</button>
        <span class="field-hint">or click Use as Reference on a card below.</span>
      </div>
    </section>`;
