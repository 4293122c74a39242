import type { GenerationResult, SpooledGenerationResult } from '../types';
import type { EditRequest } from '../editTypes';
import { callImagesApi, type ClientOptions, type RequestPayload } from './client';
import { buildEditForm } from './editRequest';
import type { SpoolTarget } from './streamingImages';

/**
 * POSTs one edit to `{baseUrl}/images/edits` as multipart/form-data (see buildEditForm) and returns the
 * decoded images, with everything a generation has: the same transport and dispatcher, retry policy
 * (never after a 2xx), byte budget, deadline per attempt, logging, key redaction and ImageApiError
 * kinds; an answer with more images than `n` is refused. `request` must come from validateEdit.
 */
export function editImages(request: EditRequest, options: ClientOptions, signal?: AbortSignal): Promise<GenerationResult> {
  const payload = (): RequestPayload => buildEditForm(request);
  return callImagesApi({ operation: 'edits', n: request.n, payload }, options, signal);
}

/** editImages with each `b64_json` image decoded into a temp file in `spool.dir` as it arrives (issue #11). */
export function editImagesToFiles(request: EditRequest, options: ClientOptions, spool: SpoolTarget, signal?: AbortSignal): Promise<SpooledGenerationResult> {
  const payload = (): RequestPayload => buildEditForm(request);
  return callImagesApi({ operation: 'edits', n: request.n, payload }, options, signal, spool);
}
