/** Shape checks for untrusted messages (the webview's and the host's), shared by the protocol modules. */

export type Fields = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exactly these keys: extra keys mean a sender we do not know, so the message is dropped. */
export function hasExactKeys(value: Fields, keys: readonly string[]): boolean {
  const actual = Object.keys(value);
  return actual.length === keys.length && keys.every((key) => Object.prototype.hasOwnProperty.call(value, key));
}
