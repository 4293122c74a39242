import { File, FormData } from 'undici';
import type { EditRequest, EditSourceImage } from '../editTypes';

const contentTypes = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

/**
 * The multipart body of `POST /images/edits`, in a fixed order: model, prompt, the image(s), mask, n,
 * size, then the optional fields only when set. One image goes as `image`; several as repeated
 * `image[]` (repeated plain `image` fields get 400 duplicate_parameter; openai-node appends `[]` for
 * arrays too). Each file part carries a filename with its real format's extension and content type.
 * Never `input_fidelity` (gpt-image-2 answers 400 invalid_input_fidelity_model), never `moderation`
 * (generations only), never `response_format`. Build a new one per attempt: undici streams the parts.
 */
export function buildEditForm(request: EditRequest): FormData {
  const form = new FormData();
  form.append('model', request.model);
  form.append('prompt', request.prompt);
  const field = request.images.length === 1 ? 'image' : 'image[]';
  for (const image of request.images) appendFile(form, field, image);
  if (request.mask) appendFile(form, 'mask', request.mask);
  form.append('n', String(request.n));
  form.append('size', request.size);
  if (request.quality !== undefined) form.append('quality', request.quality);
  if (request.background !== undefined) form.append('background', request.background);
  if (request.outputFormat !== undefined) form.append('output_format', request.outputFormat);
  if (request.outputCompression !== undefined) form.append('output_compression', String(request.outputCompression));
  return form;
}

function appendFile(form: FormData, field: string, image: EditSourceImage): void {
  form.append(field, new File([image.bytes], image.fileName, { type: contentTypes[image.format] }), image.fileName);
}
