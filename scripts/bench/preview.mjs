// Part 5 of the bench (issue #14): time to the first streamed preview next to the time to the final
// image, against the fixture's SSE stream (2 MB noise PNG as the final image, a small PNG per preview).
// Two rows per setting, each the median of `rounds` runs, and ratios in the same run:
// - plain: no streaming (generateImages), the baseline a user had before previews;
// - streamed: stream: true + partial_images, first preview and final image of the same request;
// - "model time": the fixture waits `delayMs` before each event, as a real model works between them,
//   so the ratio first-preview / final shows how much sooner the user sees something.
import { createRequire } from 'node:module';
import path from 'node:path';
import { median, repoRoot, round } from './util.mjs';

const require = createRequire(import.meta.url);

export async function preview({ log, rounds, deadline }) {
  const { startFakeImageServer } = require(path.join(repoRoot, 'out/test/fixtures/fakeImageServer.js'));
  const { generateImages } = require(path.join(repoRoot, 'out/src/core/api/client.js'));
  const { generateImagesStreaming, forgetNonStreamingBases } = require(path.join(repoRoot, 'out/src/core/api/streamClient.js'));
  const request = { model: 'gpt-image-2', prompt: 'bench preview', n: 1, size: '1024x1024', quality: 'low' };
  const section = {};
  for (const delayMs of [0, 300]) {
    const server = await startFakeImageServer({ large: true, promptKeywords: false, streaming: { eventDelayMs: delayMs } });
    const options = { baseUrl: server.baseUrl, apiKey: 'sk-bench-0123456789abcdef' };
    const plain = [];
    const first = [];
    const final = [];
    try {
      for (let i = 0; i < rounds && Date.now() < deadline; i++) {
        forgetNonStreamingBases();
        let started = performance.now();
        // The plain answer has no events, so the model time is added as one wait before it.
        if (delayMs) server.script({ delayMs: delayMs * 3 });
        await generateImages(request, options);
        plain.push(performance.now() - started);
        started = performance.now();
        let firstAt;
        await generateImagesStreaming(request, options, {
          partialImages: 2,
          onPartial: () => (firstAt ??= performance.now() - started),
        });
        final.push(performance.now() - started);
        if (firstAt !== undefined) first.push(firstAt);
      }
    } finally {
      await server.close();
    }
    const key = delayMs ? `modelDelay${delayMs}ms` : 'noDelay';
    section[key] = {
      delayMsPerEvent: delayMs,
      medianMs: { plainFinal: round(median(plain)), firstPreview: round(median(first)), streamedFinal: round(median(final)) },
      ratioFirstPreviewToFinal: round(median(first) / median(final), 2),
      ratioStreamedToPlainFinal: round(median(final) / median(plain), 2),
      runs: plain.length,
    };
    log(`preview (${key}): first preview ${section[key].medianMs.firstPreview} ms, final ${section[key].medianMs.streamedFinal} ms, plain ${section[key].medianMs.plainFinal} ms`);
  }
  return section;
}

/** Rows for the bench table. */
export function previewRows(p) {
  const rows = [];
  for (const [key, s] of Object.entries(p)) {
    const label = s.delayMsPerEvent ? `model time ${s.delayMsPerEvent} ms per event` : 'no model time';
    rows.push([`5. stream, ${label}: time to first preview`, `${s.medianMs.firstPreview} ms`, '', '']);
    rows.push(['   time to final image (streamed / plain)', `${s.medianMs.streamedFinal} ms / ${s.medianMs.plainFinal} ms`, '', '']);
    rows.push(['   first preview / final (ratio)', s.ratioFirstPreviewToFinal, '', '']);
    rows.push(['   streamed final / plain final (ratio)', s.ratioStreamedToPlainFinal, '', '']);
    void key;
  }
  return rows;
}
