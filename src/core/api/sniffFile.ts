import * as fs from 'node:fs/promises';
import type { OutputFormat } from '../../shared/options';
import { describeNonImage, sniffImageFormat, sniffImageParts } from './sniff';

/**
 * What an image decoded to `file` (`size` bytes) is, from its first bytes (`head`) and last ones (`tail`)
 * kept while it was written: the answer sniffImageFormat gives for the whole file, which is read back
 * only in the rare case the answer depends on bytes in between (see sniffImageParts). Returns the format,
 * or a description of what the bytes are instead ("an HTML page") for the error message.
 */
export async function sniffDecoded(
  file: string,
  head: Buffer,
  tail: Buffer,
  size: number,
): Promise<{ readonly format?: OutputFormat; readonly description: string }> {
  const parts = sniffImageParts(head, tail, size);
  if (parts !== 'whole') return parts ? { format: parts, description: '' } : { description: describeNonImage(head) };
  const whole = await fs.readFile(file);
  const format = sniffImageFormat(whole);
  return format ? { format, description: '' } : { description: describeNonImage(whole) };
}
