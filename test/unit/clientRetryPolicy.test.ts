import * as assert from 'node:assert/strict';
import { Agent } from 'undici';
import { generateImages, type ClientOptions } from '../../src/core/api/client';
import { abortableSleep, statusDecision } from '../../src/core/api/retry';
import { describeError } from '../../src/core/errorMessages';
import { ImageApiError, type ImageErrorKind } from '../../src/core/errors';
import type { GenerationRequest, Logger } from '../../src/core/types';
import { startFakeImageServer, type FakeImageServer } from '../fixtures/fakeImageServer';
import { tokenGroupDisabledMessage } from '../fixtures/networkFaults';
import { testCertificates } from '../fixtures/tls/testCertificates';

// Issue #11, "Retries that never bill twice": every case goes over real HTTP to the fixture server,
// and counts the POSTs it saw, because each POST that reached it is a generation that may be billed.

const key = 'sk-retry-SECRET-0123456789abcdef';
const cat: GenerationRequest = { model: 'gpt-image-2', prompt: 'A cat', n: 1, size: '1024x1024' };
const charged = /the images may already have been generated and charged, so it was not retried automatically\.$/;

interface Run {
  readonly options: ClientOptions;
  readonly waits: number[];
  readonly lines: string[];
}

function run(baseUrl: string, extra: Partial<ClientOptions> = {}): Run {
  const waits: number[] = [];
  const lines: string[] = [];
  const logger: Logger = { info: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) };
  const options: ClientOptions = {
    baseUrl,
    apiKey: key,
    logger,
    random: () => 0,
    sleep: async (ms, signal) => {
      waits.push(ms);
      if (signal?.aborted) throw signal.reason;
    },
    ...extra,
  };
  return { options, waits, lines };
}

async function failure(promise: Promise<unknown>, kind: ImageErrorKind): Promise<ImageApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageApiError, String(error));
    assert.equal(error.kind, kind, error.message);
    assert.ok(!error.message.includes(key));
    return error;
  }
  return assert.fail('expected a rejection');
}

const posts = (server: FakeImageServer): number => server.requests.filter((request) => request.method === 'POST').length;
const decisions = (lines: readonly string[]): string[] => lines.filter((line) => /^(Not retrying|Retrying): /.test(line));

/** The error as the palette and the Studio show it, with Try Again available. */
function offersTryAgain(error: ImageApiError): void {
  const description = describeError(error, { action: 'Image generation', canTryAgain: true });
  assert.equal(description.actions[0], 'tryAgain', JSON.stringify(description));
  assert.match(description.message, /may already have been generated and charged/);
  assert.match(description.message, /Try Again sends the same request once more/);
  assert.doesNotMatch(description.message, /base URL/, 'the server answered: the base URL is not the problem');
  assert.ok(!describeError(error, { action: 'Image generation' }).actions.includes('tryAgain'), 'a surface that cannot re-run offers no Try Again');
}

suite('client: retries that never bill twice (issue #11)', () => {
  let server: FakeImageServer;
  suiteSetup(async () => {
    server = await startFakeImageServer({ requireKey: key });
  });
  suiteTeardown(() => server.close());
  setup(() => server.reset());

  test('a reset after the request was received: one POST, network, may have been charged, Try Again', async () => {
    const { options, lines } = run(server.baseUrl);
    server.script({ fault: 'resetAfterRequest' });
    const error = await failure(generateImages(cat, options), 'network');
    assert.equal(posts(server), 1, 'the server saw exactly one POST');
    assert.equal(error.attempts, 1);
    assert.equal(error.mayBeCharged, true);
    assert.equal(error.status, undefined);
    assert.match(error.message, /^The connection to 127\.0\.0\.1:\d+ broke after the request was sent, before any answer \(the connection was (reset \(ECONNRESET\)|closed unexpectedly \(UND_ERR_SOCKET\))\); /);
    assert.match(error.message, charged);
    offersTryAgain(error);
    const [decision, ...more] = decisions(lines);
    assert.match(decision, /^Not retrying: the connection was .+ after the request was sent \(it may have been charged\)$/);
    assert.deepEqual(more, []);
  });

  test('the [reset] prompt keyword does the same, for trying it by hand', async () => {
    const error = await failure(generateImages({ ...cat, prompt: 'A cat [reset]' }, run(server.baseUrl).options), 'network');
    assert.equal(posts(server), 1);
    assert.equal(error.mayBeCharged, true);
  });

  test('a 503 answered quickly is retried: nothing was generated', async () => {
    const { options, lines, waits } = run(server.baseUrl);
    server.script({ status: 503, error: { message: 'Overloaded', type: 'server_error' } });
    const result = await generateImages(cat, options);
    assert.equal(result.images.length, 1);
    assert.equal(posts(server), 2);
    assert.deepEqual(waits, [500]);
    assert.deepEqual(
      decisions(lines).map((line) => line.replace(/\d+ ms \(/, 'N ms (')),
      ['Retrying: 503 Service Unavailable answered in N ms (nothing was generated); attempt 2/3 in 500 ms'],
    );
  });

  test('a 502 after a long wait is not retried, even with x-should-retry: true: it may follow a billed image', async () => {
    for (const headers of [{}, { 'x-should-retry': 'true' }] as Record<string, string>[]) {
      server.reset();
      // A 20 ms threshold instead of 10 s keeps the test fast; the server waits 150 ms before answering.
      const { options, lines } = run(server.baseUrl, { retryServerErrorsWithinMs: 20 });
      server.script({ status: 502, html: true, delayMs: 150, headers });
      const error = await failure(generateImages(cat, options), 'server');
      assert.equal(posts(server), 1, JSON.stringify(headers));
      assert.equal(error.status, 502);
      assert.equal(error.mayBeCharged, true);
      assert.match(error.message, /^The image service failed with status 502 after \d+ ms: "502 Bad Gateway"; /);
      assert.match(error.message, charged);
      offersTryAgain(error);
      assert.match(decisions(lines).join('\n'), /^Not retrying: 502 Bad Gateway answered after \d+ ms, later than 20 ms \(an image may have been generated and charged\)$/);
    }
  });

  test('the same 502 answered within the threshold is retried', async () => {
    const { options } = run(server.baseUrl, { retryServerErrorsWithinMs: 5_000 });
    server.script({ status: 502, html: true });
    assert.equal((await generateImages(cat, options)).images.length, 1);
    assert.equal(posts(server), 2);
  });

  test('429 insufficient_quota is not retried; a plain 429 is', async () => {
    const { options, lines } = run(server.baseUrl);
    server.script({ status: 429, error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', code: 'insufficient_quota' } });
    const error = await failure(generateImages(cat, options), 'quota');
    assert.equal(posts(server), 1);
    assert.notEqual(error.mayBeCharged, true);
    assert.deepEqual(decisions(lines), ['Not retrying: 429 insufficient_quota (the account has no quota left; repeating cannot fix it)']);

    server.reset();
    server.script({ status: 429, error: { message: 'Rate limit reached.', type: 'requests', code: 'rate_limit_exceeded' } });
    await generateImages(cat, run(server.baseUrl).options);
    assert.equal(posts(server), 2);
  });

  test('x-should-retry: false wins over a retryable status', async () => {
    const { options, lines } = run(server.baseUrl);
    server.script({ status: 503, error: { message: 'busy', type: 'server_error' }, headers: { 'x-should-retry': 'false' } });
    await failure(generateImages(cat, options), 'server');
    assert.equal(posts(server), 1);
    assert.match(decisions(lines)[0], /^Not retrying: the server sent x-should-retry: false with 503 Service Unavailable answered in \d+ ms$/);
  });

  test('a timeout after the request was sent is not retried: one POST, timeout, may have been charged', async () => {
    const { options, lines } = run(server.baseUrl, { timeoutMs: 150, maxRetries: 2 });
    server.script({ delayMs: 3000 });
    const error = await failure(generateImages(cat, options), 'timeout');
    assert.equal(posts(server), 1);
    assert.equal(error.attempts, 1);
    assert.equal(error.mayBeCharged, true);
    assert.match(error.message, /^The image service did not answer within 150 ms after the request was sent; /);
    assert.match(error.message, charged);
    offersTryAgain(error);
    assert.ok(describeError(error, { action: 'Image generation', canTryAgain: true }).actions.includes('openSettings'), 'the timeout setting is one click away');
    assert.deepEqual(decisions(lines), ['Not retrying: no complete answer within 150 ms after the request was sent (it may have been charged)']);
  });

  test('truncated JSON says where the answer broke off and quotes no base64', async () => {
    server.script({ truncatedJson: true, large: true });
    const error = await failure(generateImages(cat, run(server.baseUrl).options), 'badResponse');
    assert.equal(posts(server), 1);
    assert.match(error.message, /^The server answered 200, but the answer broke off after \d+(\.\d)? (MB|KB): the JSON is incomplete; /);
    assert.match(error.message, charged);
    assert.doesNotMatch(error.message, /iVBOR|b64_json|[A-Za-z0-9+/]{40}/, 'no base64 in the message');
    assert.equal(error.excerpt, undefined, 'nor in the excerpt that the log prints');
    assert.equal(error.mayBeCharged, true);
    offersTryAgain(error);
  });

  test("a gateway's 403 Token Group … Has Been Disabled: the key is disabled or out of quota, Set API Key", async () => {
    server.script({ fault: 'tokenGroupDisabled', headers: { 'x-request-id': 'req_tg' } });
    const error = await failure(generateImages(cat, run(server.baseUrl).options), 'permission');
    assert.equal(posts(server), 1);
    assert.equal(error.keyDisabled, true);
    const description = describeError(error, { action: 'Image generation', canTryAgain: true });
    assert.equal(
      description.message,
      `Access was denied (403): ${tokenGroupDisabledMessage}. The key is disabled or its quota is used up: check the key and its quota in your WisGate dashboard, or set another key (request id req_tg).`,
    );
    assert.doesNotMatch(description.message, /region/);
    assert.deepEqual(description.actions, ['setApiKey', 'showLog']);
  });

  test('an ordinary 403 keeps the region hint', async () => {
    server.script({ status: 403, error: { message: 'Country, region, or territory not supported', type: 'request_forbidden', code: 'unsupported_country_region_territory' } });
    const error = await failure(generateImages(cat, run(server.baseUrl).options), 'permission');
    assert.notEqual(error.keyDisabled, true);
    assert.match(describeError(error, { action: 'Image generation' }).message, /Your key or region may not be allowed/);
  });

  test('a 200 cut off mid-body says the server did answer, not "check the base URL"', async () => {
    server.script({ resetAfterBytes: 40 });
    const error = await failure(generateImages(cat, run(server.baseUrl).options), 'network');
    assert.equal(posts(server), 1);
    assert.equal(error.status, 200);
    assert.match(error.message, /^The connection broke after the server answered 200 /);
    offersTryAgain(error);
  });

  test('a late 5xx whose body then breaks off is not retried either', async () => {
    const { options } = run(server.baseUrl, { retryServerErrorsWithinMs: 20 });
    server.script({ status: 504, error: { message: 'Gateway Timeout', type: 'server_error' }, delayMs: 150, resetAfterBytes: 5 });
    const error = await failure(generateImages(cat, options), 'network');
    assert.equal(posts(server), 1);
    assert.equal(error.mayBeCharged, true);
    assert.match(error.message, /^The server answered 504, then the connection was .+; /);
  });

  test('connection refused is retried, and the retry reaches the server once it listens', async () => {
    const probe = await startFakeImageServer();
    const port = probe.port;
    await probe.close();
    let late: FakeImageServer | undefined;
    try {
      const { options, lines } = run(`http://127.0.0.1:${port}/v1`, {
        // The server comes up during the backoff wait, on the port that refused the first attempt.
        sleep: async () => {
          late ??= await startFakeImageServer({ port, requireKey: key });
        },
      });
      const result = await generateImages(cat, options);
      assert.equal(result.images.length, 1);
      assert.ok(late);
      assert.equal(posts(late), 1, 'the retry reached the server, once');
      assert.match(decisions(lines)[0], /^Retrying: the connection was refused \(ECONNREFUSED\) before the request was sent \(nothing was generated\); attempt 2\/3 in/);
    } finally {
      await late?.close();
    }
  });

  suite('over TLS', () => {
    const pki = testCertificates();
    let tls: FakeImageServer;
    let agent: Agent;
    suiteSetup(async () => {
      tls = await startFakeImageServer({ requireKey: key, tls: { cert: pki.cert, key: pki.key } });
    });
    suiteTeardown(() => tls.close());
    // A fresh agent per test: a kept-alive connection from the last one would skip the handshake.
    setup(() => {
      tls.reset();
      agent = new Agent({ connect: { ca: pki.ca } });
    });
    teardown(() => agent.close());

    test('a connection reset during the TLS handshake is retried: no byte of the request was sent', async () => {
      tls.faults.dropConnections(1);
      const { options, lines, waits } = run(tls.baseUrl, { dispatcher: agent });
      const result = await generateImages(cat, options);
      assert.equal(result.images.length, 1);
      assert.equal(tls.faults.dropped, 1);
      assert.equal(posts(tls), 1, 'the server saw the retried POST, and only it');
      assert.deepEqual(waits, [500]);
      assert.match(decisions(lines)[0], /^Retrying: .+ before the request was sent \(nothing was generated\); attempt 2\/3 in 500 ms$/);
    });

    test('dropped on every attempt → network "Could not connect", after 3 attempts, nothing charged', async () => {
      tls.faults.dropConnections(3);
      const { options, lines } = run(tls.baseUrl, { dispatcher: agent });
      const error = await failure(generateImages(cat, options), 'network');
      assert.equal(posts(tls), 0);
      assert.equal(error.attempts, 3);
      assert.notEqual(error.mayBeCharged, true);
      assert.match(error.message, /^Could not connect to 127\.0\.0\.1:\d+: .+ \(3 attempts\)\.$/);
      const description = describeError(error, { action: 'Image generation', canTryAgain: true });
      assert.deepEqual(description.actions, ['tryAgain', 'openSettings', 'showLog']);
      assert.match(description.message, /Check your connection and the base URL\.$/);
      assert.match(decisions(lines).at(-1) ?? '', /^Not retrying: .+ before the request was sent \(nothing was generated\); it would be retried, but 3 of 3 attempts are used$/);
    });

    test('an untrusted certificate is not retried: repeating cannot fix it', async () => {
      const { options } = run(tls.baseUrl);
      const error = await failure(generateImages(cat, options), 'network');
      assert.equal(error.attempts, 1);
      assert.equal(posts(tls), 0);
    });
  });

  test('cancel during the backoff wait: no further POST, nothing left waiting', async () => {
    const controller = new AbortController();
    server.script({ status: 503, error: { message: 'busy', type: 'server_error' }, headers: { 'retry-after': '30' } });
    const options: ClientOptions = {
      ...run(server.baseUrl).options,
      sleep: (ms, signal) => {
        setTimeout(() => controller.abort(), 10);
        return abortableSleep(ms, signal);
      },
    };
    await failure(generateImages(cat, options, controller.signal), 'cancelled');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(posts(server), 1);
  });
});

suite('retry: statusDecision (issue #11)', () => {
  test('the rule table', () => {
    const quick = 100;
    const late = 60_000;
    const decide = (status: number, ms = quick, code?: string, shouldRetry?: string) => statusDecision(status, code, shouldRetry, ms, 10_000);
    for (const status of [408, 409, 429, 500, 502, 503, 504]) assert.equal(decide(status).retry, true, `${status} quick`);
    for (const status of [400, 401, 403, 404, 413, 422]) assert.equal(decide(status).retry, false, String(status));
    for (const status of [500, 502, 503, 504]) {
      const decision = decide(status, late);
      assert.deepEqual([decision.retry, decision.mayBeCharged], [false, true], `${status} late`);
      assert.equal(decide(status, late, undefined, 'true').retry, false, `${status} late with x-should-retry: true`);
    }
    // 408, 409 and 429 get the same window (issue #11 review): only a quick one came before any work.
    for (const status of [408, 409, 429]) assert.deepEqual([decide(status, late).retry, decide(status, late).mayBeCharged], [false, true], `${status} late`);
    assert.equal(decide(429, quick, 'insufficient_quota').retry, false);
    assert.equal(decide(429, quick, 'insufficient_quota', 'true').retry, false);
    assert.equal(decide(400, quick, 'moderation_blocked', 'true').retry, false);
    assert.equal(decide(503, quick, undefined, 'false').retry, false);
    assert.equal(decide(422, quick, undefined, 'true').retry, true, 'a server may say a 4xx is worth repeating');
    assert.equal(decide(401, quick, undefined, 'true').retry, false, 'but not a final one');
    assert.equal(decide(503, 10_000).retry, true, 'the threshold itself still counts as quick');
    assert.equal(decide(503, 10_001).retry, false);
  });
});
