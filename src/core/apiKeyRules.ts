/** What the Set API Key box accepts (pure: the host's password box calls it on every keystroke). */

/** Real keys are tens of characters; a longer paste is something else (and would slow every redaction). */
export const maxApiKeyLength = 512;

export function validateApiKey(value: string): string | undefined {
  const key = value.trim();
  if (key === '') return 'Paste the API key, or press Escape to cancel.';
  if (/\s/.test(key)) return 'An API key has no spaces or line breaks.';
  if (key.length < 8) return 'That looks too short for an API key.';
  if (key.length > maxApiKeyLength) return `That is too long for an API key (at most ${maxApiKeyLength} characters).`;
  return undefined;
}
