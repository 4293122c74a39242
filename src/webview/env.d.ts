// The webview bundle imports constants from src/core/types.ts, whose GeneratedImage mentions Node's
// Buffer. The webview never touches image bytes; this alias only lets the DOM-only program type-check.
type Buffer = Uint8Array;
