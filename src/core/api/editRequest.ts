import { randomBytes } from 'node:crypto';
import type { EditRequest, EditSourceImage } from '../editTypes';

const contentTypes = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

/** A multipart/form-data body, complete in memory, with the Content-Type that names its boundary. */
export interface MultipartBody {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * The multipart body of `POST /images/edits` (RFC 7578), in a fixed order: model, prompt, the image(s),
 * mask, n, size, then the optional fields only when set. One image goes as `image`; several as
 * repeated `image[]` (repeated plain `image` fields get 400 duplicate_parameter; openai-node appends
 * `[]` for arrays too). Each file part carries a filename with its real format's extension and its
 * content type. Never `input_fidelity` (gpt-image-2 answers 400 invalid_input_fidelity_model), never
 * `moderation` (generations only), never `response_format`.
 *
 * Written out as one Buffer rather than handed to undici as a FormData: in VS Code's extension host
 * undici's FormData body (a web ReadableStream of Blob streams) never started flowing, so the request
 * hung until the server's header timeout (seen in the integration suite, code-server 4.139, Node 24),
 * while the same code ran in plain Node. A Buffer also gives an exact Content-Length. Built anew per
 * attempt, with a fresh random boundary.
 */
export function buildEditForm(request: EditRequest): MultipartBody {
  const boundary = `----gpt-image-studio-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  const field = (name: string, value: string): void => {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n`), Buffer.from(value, 'utf8'), crlf);
  };
  const file = (name: string, image: EditSourceImage): void => {
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"; filename="${quote(image.fileName)}"\r\nContent-Type: ${contentTypes[image.format]}\r\n\r\n`;
    parts.push(Buffer.from(head), image.bytes, crlf);
  };
  field('model', request.model);
  field('prompt', request.prompt);
  const imageField = request.images.length === 1 ? 'image' : 'image[]';
  for (const image of request.images) file(imageField, image);
  if (request.mask) file('mask', request.mask);
  field('n', String(request.n));
  field('size', request.size);
  if (request.quality !== undefined) field('quality', request.quality);
  if (request.background !== undefined) field('background', request.background);
  if (request.outputFormat !== undefined) field('output_format', request.outputFormat);
  if (request.outputCompression !== undefined) field('output_compression', String(request.outputCompression));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

const crlf = Buffer.from('\r\n');

/** The HTML form encoding of names in a Content-Disposition: `"`, CR and LF percent-encoded. */
function quote(text: string): string {
  return text.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
