import fs from 'node:fs';

// Peak-memory measurement shared by the bench's child processes (engine-child.mjs, sdk-child.mjs).
// Every measured run happens in a fresh process, so the peak is that process's own: getrusage maxRSS.

/**
 * Runs `work()` once and reports its wall time, the process's RSS before, its peak RSS (maxRSS, the
 * number that counts) and the growth between them, plus where a 5 ms sampler saw the peak (JS heap vs
 * Buffers), for reading the results, not for the targets.
 */
export async function measurePeak(work) {
  globalThis.gc?.();
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const exact = resetPeak();
  const samples = [];
  const sample = () => {
    const usage = process.memoryUsage();
    samples.push({ rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, arrayBuffers: usage.arrayBuffers });
  };
  const timer = setInterval(sample, 5);
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  clearInterval(timer);
  sample();
  const peak = exact ? highWaterMark() : process.resourceUsage().maxRSS * 1024;
  const top = samples.reduce((a, b) => (b.rss > a.rss ? b : a), samples[0]);
  return { ...result, ms, rssBefore: before, peakRss: peak, growth: peak - before, exactPeak: exact, atSampledPeak: { ...top, samples: samples.length } };
}

/**
 * Why not getrusage alone: on Linux a forked child's maxRSS starts at its parent's RSS at fork time (the
 * bench parent holds the fixture's 160 MB answers), so it says nothing about the child. VmHWM in
 * /proc/self/status is the high-water mark of this process image only, and writing 5 to
 * /proc/self/clear_refs resets it to the current RSS: the peak of exactly the measured run.
 */
function resetPeak() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return highWaterMark() > 0;
  } catch {
    return false;
  }
}

function highWaterMark() {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** The IPC loop of a bench child: each message runs `operations[op]` and answers {ok, ...} or {ok: false, error}. */
export function serve(operations) {
  process.on('message', async (message) => {
    if (message.op === 'exit') {
      process.disconnect();
      return;
    }
    try {
      const result = await operations[message.op](message);
      process.send({ ok: true, id: message.id, ...result });
    } catch (error) {
      process.send({ ok: false, id: message.id, error: String(error?.stack ?? error) });
    }
  });
  process.send({ ready: true });
}
