import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateImages, type ClientOptions } from '../../src/core/api/client';
import { ImageApiError, type ImageErrorKind } from '../../src/core/errors';
import { describeError } from '../../src/core/errorMessages';
import { describeSaveFolder, savedImagesMessage, settingProblem } from '../../src/core/noticeMessages';
import { resolveAssetsDir } from '../../src/core/paths';
import type { GenerationInput } from '../../src/core/types';
import { validateRequest } from '../../src/core/validate';
import { startFakeImageServer, type FakeImageServer, type FakeResponse } from '../fixtures/fakeImageServer';
import { assertNoLink, hostileTexts } from './linkPattern';
import { validateSize } from '../../src/shared/optionRules';

const root = path.resolve(__dirname, '../../..');

const allKinds: readonly ImageErrorKind[] = [
  'validation',
  'auth',
  'permission',
  'quota',
  'rateLimited',
  'moderation',
  'invalidRequest',
  'notFound',
  'server',
  'network',
  'timeout',
  'cancelled',
  'badResponse',
  'io',
];

/** The message an ImageApiError-raising call ends in, as the notification would get it. */
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return describeError(error, { action: 'Image generation' }).message;
  }
  assert.fail('expected an error');
}

/**
 * Issue #9, part 1: no string from a server or a setting can form a link in a notification. Every
 * message builder's output is checked against VS Code's link pattern.
 */
suite('notifications carry no links from servers or settings', () => {
  suite('describeError', () => {
    for (const kind of allKinds) {
      test(`${kind}: hostile message, param, code, request id`, () => {
        for (const hostile of hostileTexts) {
          for (const status of [undefined, 400, 401, 403, 404, 429, 500, 302]) {
            const error = new ImageApiError(kind, hostile, {
              status,
              param: hostile,
              code: hostile,
              requestId: hostile,
              excerpt: hostile,
              attempts: 3,
            });
            assertNoLink(describeError(error, { action: 'Image generation' }).message, `${kind} ${status ?? ''}`);
          }
        }
      });
    }

    test('an unexpected error (not an ImageApiError) with link syntax', () => {
      for (const hostile of hostileTexts) {
        assertNoLink(describeError(new Error(hostile), { action: 'Image generation' }).message, 'Error');
        assertNoLink(describeError(hostile, { action: 'Image generation' }).message, 'a thrown string');
        assertNoLink(describeError({ toString: () => hostile }, { action: 'Image generation' }).message, 'a thrown object');
      }
    });

    test('the server text is still there to read', () => {
      const message = describeError(
        new ImageApiError('invalidRequest', 'Your key must be re-verified. [Verify key](command:x)', { param: 'size' }),
        { action: 'Image generation' },
      ).message;
      assert.equal(
        message.replace(/\u200b/g, ''),
        'The API rejected the request (field "size"): Your key must be re-verified. [Verify key](command:x).',
      );
    });
  });

  suite('the real client answering hostile servers', () => {
    let server: FakeImageServer;
    const evil = '[Verify key](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22echo%20pwned%5Cn%22%7D)';
    const options = (): ClientOptions => ({
      baseUrl: server.baseUrl,
      apiKey: 'sk-test-notification-links-0123',
      maxRetries: 0,
      sleep: async () => undefined,
    });

    suiteSetup(async () => {
      server = await startFakeImageServer();
    });
    suiteTeardown(() => server.close());
    setup(() => server.reset());

    const answers: [string, FakeResponse][] = [
      ['400 with message, param and code', { status: 400, error: { message: `Your key must be re-verified. ${evil}`, param: evil, code: evil } }],
      ['401', { status: 401, error: { message: evil, code: 'invalid_api_key' } }],
      ['403', { status: 403, error: { message: evil } }],
      ['404', { status: 404, error: { message: evil } }],
      ['429', { status: 429, error: { message: evil } }],
      ['quota', { status: 429, error: { message: evil, code: 'insufficient_quota' } }],
      ['moderation', { status: 400, error: { message: evil, code: 'moderation_blocked' } }],
      ['500', { status: 500, error: { message: evil } }],
      ['422 as plain text', { status: 422, text: evil }],
      ['502 as HTML', { status: 502, html: `<html><body>${evil}</body></html>` }],
      ['a redirect with a Location', { status: 302, text: '', headers: { location: `https://relay.example/${evil}` } }],
      ['a request id header', { status: 400, error: { message: 'Bad.' }, headers: { 'x-request-id': evil } }],
      ['200 with no images', { json: { data: [], error: { message: evil } } }],
      ['200 with a bad image URL', { json: { created: 1, data: [{ url: `ftp://x/${evil}` }] } }],
    ];
    for (const [what, answer] of answers) {
      test(what, async () => {
        server.script(answer);
        const error = await generateImages({ prompt: 'A cat', model: 'gpt-image-2', n: 1, size: '1024x1024' }, options()).then(
          () => assert.fail('expected the generation to fail'),
          (caught: unknown) => caught,
        );
        assertNoLink(describeError(error, { action: 'Image generation' }).message, what);
      });
    }
  });

  suite('validation messages quoting a value', () => {
    const base: GenerationInput = { prompt: 'A cat', model: 'gpt-image-2' };
    for (const field of ['size', 'quality', 'outputFormat', 'background', 'moderation'] as const) {
      test(field, () => {
        for (const hostile of hostileTexts) {
          const message = messageOf(() => validateRequest({ ...base, [field]: hostile }));
          assert.match(message, /not allowed/);
          assertNoLink(message, field);
        }
      });
    }

    test('size as typed into the custom size box, for either kind of model', () => {
      for (const hostile of hostileTexts) {
        assertNoLink(validateSize(hostile, 'gpt-image-2') ?? '', 'gpt-image-2');
        assertNoLink(validateSize(hostile, 'gpt-image-1') ?? '', 'gpt-image-1');
        assertNoLink(validateSize('2048x1152', hostile) ?? '', 'a hostile model name');
      }
    });

    test('non-string values of any field', () => {
      for (const value of [{ label: hostileTexts[0] }, [hostileTexts[0]], 3.5, true]) {
        for (const field of ['n', 'size', 'quality', 'outputFormat', 'background', 'outputCompression', 'user'] as const) {
          assertNoLink(messageOf(() => validateRequest({ ...base, outputFormat: 'webp', [field]: value })), field);
        }
      }
    });

    test('assetsFolder refused by the path check', () => {
      for (const hostile of hostileTexts) {
        for (const folder of [`../${hostile}`, `/${hostile}`, `~/${hostile}`, `C:${hostile}`, `${hostile}\0`]) {
          assertNoLink(messageOf(() => resolveAssetsDir('/work/space', folder)), 'assetsFolder');
        }
      }
    });
  });

  suite('setting problems', () => {
    const settings: [string, string | number, string][] = [
      ['gptImage.size', '1024x1024', 'auto or WIDTHxHEIGHT'],
      ['gptImage.quality', 'auto', 'auto, low, medium, high'],
      ['gptImage.count', 1, 'whole numbers 1–10'],
      ['gptImage.outputFormat', 'png', 'png, jpeg, webp'],
      ['gptImage.background', 'auto', 'auto, transparent, opaque'],
      ['gptImage.insertAfterGenerate', 'ask', 'ask, always, never'],
      ['gptImage.timeoutSeconds', 600, 'whole numbers 10–3600'],
      ['gptImage.maxRetries', 2, 'whole numbers 0–10'],
      ['gptImage.assetsFolder', 'assets', 'a folder inside the workspace'],
    ];
    for (const [setting, fallback, allowed] of settings) {
      test(setting, () => {
        for (const hostile of hostileTexts) {
          for (const value of [hostile, { [hostile]: hostile }, [hostile], `${'x'.repeat(30)}${hostile}`]) {
            const message = settingProblem(setting, value, fallback, allowed);
            assert.ok(message.startsWith(`${setting} is `), message);
            assertNoLink(message, setting);
            // As the warning shows it.
            assertNoLink(`GPT Image: ${message}`, setting);
          }
        }
      });
    }

    test('reads as before', () => {
      assert.equal(
        settingProblem('gptImage.insertAfterGenerate', 'sometimes', 'ask', 'ask, always, never'),
        'gptImage.insertAfterGenerate is "sometimes"; using "ask" (allowed: ask, always, never).',
      );
      assert.equal(
        settingProblem('gptImage.count', 'ten', 1, 'whole numbers 1–10'),
        'gptImage.count is "ten"; using 1 (allowed: whole numbers 1–10).',
      );
      assert.equal(
        settingProblem('gptImage.timeoutSeconds', 5, 600, 'whole numbers 10–3600'),
        'gptImage.timeoutSeconds is 5; using 600 (allowed: whole numbers 10–3600).',
      );
    });
  });

  suite('"Saved N images to <folder>"', () => {
    test('an assets folder whose name is link syntax', () => {
      for (const hostile of hostileTexts) {
        const where = describeSaveFolder(path.join('/work/space', hostile, 'a-cat.png'), {
          kind: 'assets',
          workspaceRoot: '/work/space',
          assetsFolder: hostile,
        });
        for (const count of [1, 2]) assertNoLink(savedImagesMessage(count, where), 'assets');
      }
    });

    test('a save-dialog folder whose path is link syntax', () => {
      for (const hostile of hostileTexts) {
        const file = path.join('/home/me', hostile, 'image.png');
        const where = describeSaveFolder(file, { kind: 'file', filePath: file });
        assertNoLink(savedImagesMessage(1, where), 'file');
      }
    });

    test('reads as before', () => {
      const target = { kind: 'assets', workspaceRoot: '/work/space', assetsFolder: 'assets' } as const;
      assert.equal(savedImagesMessage(1, describeSaveFolder('/work/space/assets/a.png', target)), 'Saved 1 image to assets/');
      assert.equal(savedImagesMessage(3, describeSaveFolder('/work/space/a.png', target)), 'Saved 3 images to the workspace folder');
    });
  });

  test('every notification goes through the one helper (src/common/notify.ts)', () => {
    const offenders: string[] = [];
    const dir = path.join(root, 'src');
    for (const name of fs.readdirSync(dir, { recursive: true })) {
      const file = path.join(dir, String(name));
      if (!file.endsWith('.ts') || file === path.join(dir, 'common', 'notify.ts')) continue;
      const text = fs.readFileSync(file, 'utf8');
      if (/\bshow(?:Error|Warning|Information)Message\b/.test(text)) offenders.push(path.relative(root, file));
    }
    assert.deepEqual(offenders, [], 'call notify() from src/common/notify.ts instead of window.show*Message');
  });
});
