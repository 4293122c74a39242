import * as assert from 'node:assert/strict';
import { ImageApiError } from '../../src/core/errors';
import type { GenerationInput } from '../../src/core/types';
import { validateRequest } from '../../src/core/validate';
import { acceptsCustomSize, validatePrompt, validateSize } from '../../src/shared/optionRules';

function rejects(input: GenerationInput, field: string, pattern: RegExp): void {
  assert.throws(
    () => validateRequest(input),
    (error: unknown) => {
      assert.ok(error instanceof ImageApiError);
      assert.equal(error.kind, 'validation');
      assert.equal(error.param, field);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

const base = { prompt: 'A beautiful sunset' } as const;

suite('validate: prompt', () => {
  test('empty and whitespace-only prompts ask for a description', () => {
    for (const text of ['', '   ', '\n\t ']) {
      assert.equal(validatePrompt(text), 'Describe the image you want: the prompt is empty.');
    }
    rejects({ prompt: '  ' }, 'prompt', /^Describe the image you want/);
    rejects({}, 'prompt', /prompt must be text/);
    rejects({ prompt: 42 }, 'prompt', /prompt must be text/);
  });

  test('32,000 characters pass, 32,001 fail with the count', () => {
    assert.equal(validatePrompt('a'.repeat(32_000)), undefined);
    assert.equal(
      validatePrompt('a'.repeat(32_001)),
      'The prompt is 32,001 characters long; the limit is 32,000. Remove 1 characters.',
    );
    // Surrounding whitespace is trimmed before counting, and an emoji is one character.
    assert.equal(validatePrompt(`  ${'a'.repeat(32_000)}  `), undefined);
    assert.equal(validatePrompt('🌅'.repeat(32_000)), undefined);
  });

  test('the request carries the trimmed prompt', () => {
    assert.equal(validateRequest({ prompt: '  A fox \n' }).prompt, 'A fox');
  });
});

suite('validate: defaults and the seed payload', () => {
  test('only a prompt gives the seed baseline: gpt-image-2, n 1, 1024x1024, nothing optional', () => {
    assert.deepEqual(validateRequest(base), { prompt: 'A beautiful sunset', model: 'gpt-image-2', n: 1, size: '1024x1024' });
  });

  test('null and undefined mean not set', () => {
    const request = validateRequest({ ...base, model: null, n: undefined, size: null, quality: null, user: undefined });
    assert.deepEqual(request, { prompt: 'A beautiful sunset', model: 'gpt-image-2', n: 1, size: '1024x1024' });
  });

  test("the seed curl's fields are kept as given", () => {
    const request = validateRequest({
      prompt: 'A futuristic city skyline at dusk with neon reflections on rain-slicked streets',
      model: 'gpt-image-2',
      n: 1,
      size: '1024x1024',
      quality: 'high',
    });
    assert.equal(request.quality, 'high');
    assert.deepEqual(Object.keys(request), ['prompt', 'model', 'n', 'size', 'quality']);
  });

  test('every optional field passes through when valid', () => {
    const request = validateRequest({
      ...base,
      model: ' gpt-image-1.5 ',
      n: 10,
      size: '1536x1024',
      quality: 'low',
      background: 'opaque',
      outputFormat: 'webp',
      outputCompression: 0,
      moderation: 'low',
      user: 'user-123',
    });
    assert.deepEqual(request, {
      prompt: 'A beautiful sunset',
      model: 'gpt-image-1.5',
      n: 10,
      size: '1536x1024',
      quality: 'low',
      background: 'opaque',
      outputFormat: 'webp',
      outputCompression: 0,
      moderation: 'low',
      user: 'user-123',
    });
  });
});

suite('validate: model and n', () => {
  test('model must be a non-empty string', () => {
    rejects({ ...base, model: '' }, 'model', /^Model must be a model ID such as gpt-image-2\.$/);
    rejects({ ...base, model: '  ' }, 'model', /Model must be/);
    rejects({ ...base, model: 2 }, 'model', /Model must be/);
  });

  test('n is a whole number from 1 to 10', () => {
    for (const n of [1, 5, 10]) assert.equal(validateRequest({ ...base, n }).n, n);
    for (const [n, shown] of [[0, '0'], [11, '11'], [1.5, '1.5'], ['2', '"2"'], [Number.NaN, 'NaN'], [true, 'true']] as const) {
      rejects({ ...base, n }, 'n', new RegExp(`^Image count \\(n\\) must be a whole number from 1 to 10, not ${shown.replace('.', '\\.')}\\.$`));
    }
  });
});

suite('validate: size', () => {
  test('the standard sizes pass for every model', () => {
    for (const size of ['auto', '1024x1024', '1536x1024', '1024x1536']) {
      assert.equal(validateSize(size, 'gpt-image-2'), undefined);
      assert.equal(validateSize(size, 'gpt-image-1'), undefined);
    }
  });

  test('custom sizes need a gpt-image-2 model', () => {
    assert.equal(acceptsCustomSize('gpt-image-2'), true);
    assert.equal(acceptsCustomSize('gpt-image-2-2026-04-21'), true);
    assert.equal(acceptsCustomSize('gpt-image-1.5'), false);
    assert.equal(validateSize('2048x1152', 'gpt-image-2-2026-04-21'), undefined);
    assert.equal(
      validateSize('2048x1152', 'gpt-image-1'),
      'Size "2048x1152" is not allowed for model gpt-image-1: use auto, 1024x1024, 1536x1024, 1024x1536 (custom sizes need gpt-image-2).',
    );
    rejects({ ...base, model: 'gpt-image-1-mini', size: '1024x768' }, 'size', /custom sizes need gpt-image-2/);
  });

  test('sides must be multiples of 16, with suggestions either way', () => {
    assert.equal(
      validateSize('1000x1000', 'gpt-image-2'),
      'Size "1000x1000" is not allowed: width and height must be multiples of 16 (try 992x992 or 1008x1008).',
    );
    assert.match(validateSize('1920x1080', 'gpt-image-2') ?? '', /\(try 1920x1072 or 1920x1088\)/);
    assert.match(validateSize('10x20', 'gpt-image-2') ?? '', /\(try 16x16 or 16x32\)/);
  });

  test('aspect ratio between 1:3 and 3:1', () => {
    assert.equal(validateSize('3072x1024', 'gpt-image-2'), undefined);
    assert.equal(validateSize('1024x3072', 'gpt-image-2'), undefined);
    assert.equal(
      validateSize('3088x1024', 'gpt-image-2'),
      'Size "3088x1024" is not allowed: its aspect ratio 3.02:1 is outside 1:3 to 3:1.',
    );
    assert.match(validateSize('512x2048', 'gpt-image-2') ?? '', /aspect ratio 1:4 is outside 1:3 to 3:1/);
  });

  test('fits 3840x2160 in either orientation', () => {
    assert.equal(validateSize('3840x2160', 'gpt-image-2'), undefined);
    assert.equal(validateSize('2160x3840', 'gpt-image-2'), undefined);
    assert.equal(validateSize('2560x1440', 'gpt-image-2'), undefined);
    const tooBig = 'is not allowed: it must fit within 3840x2160 or 2160x3840.';
    assert.equal(validateSize('3856x2160', 'gpt-image-2'), `Size "3856x2160" ${tooBig}`);
    assert.equal(validateSize('2176x2176', 'gpt-image-2'), `Size "2176x2176" ${tooBig}`);
    assert.equal(validateSize('2160x3856', 'gpt-image-2'), `Size "2160x3856" ${tooBig}`);
  });

  test('malformed sizes name the accepted forms', () => {
    for (const size of ['', 'big', '1024*1024', '1024x', 'x1024', '-16x16', '1024 x 1024', '1024X1024']) {
      assert.match(validateSize(size, 'gpt-image-2') ?? '', /is not allowed: use auto, 1024x1024, 1536x1024, 1024x1536, or WIDTHxHEIGHT such as 2048x1152\./);
    }
    assert.equal(validateSize('big', 'gpt-image-1'), 'Size "big" is not allowed: use auto, 1024x1024, 1536x1024, 1024x1536.');
    assert.match(validateSize('0x1024', 'gpt-image-2') ?? '', /must be greater than 0/);
    rejects({ ...base, size: 1024 }, 'size', /Size must be text such as "1024x1024", not 1024\./);
  });

  test('the size is trimmed and checked against the model of the same request', () => {
    assert.equal(validateRequest({ ...base, size: ' 2048x1152 ' }).size, '2048x1152');
    rejects({ ...base, model: 'gpt-image-1', size: '2048x1152' }, 'size', /for model gpt-image-1/);
  });
});

suite('validate: enums and their combinations', () => {
  test('quality, output format, background and moderation list their allowed values', () => {
    rejects({ ...base, quality: 'hd' }, 'quality', /^Quality "hd" is not allowed: use auto, low, medium, high\.$/);
    rejects({ ...base, outputFormat: 'gif' }, 'outputFormat', /^Output format "gif" is not allowed: use png, jpeg, webp\.$/);
    rejects({ ...base, background: 'white' }, 'background', /^Background "white" is not allowed: use auto, transparent, opaque\.$/);
    rejects({ ...base, moderation: 'high' }, 'moderation', /^Moderation "high" is not allowed: use auto, low\.$/);
    rejects({ ...base, quality: 3 }, 'quality', /Quality 3 is not allowed/);
    rejects({ ...base, quality: '' }, 'quality', /Quality "" is not allowed/);
  });

  test('a transparent background needs png or webp', () => {
    assert.equal(validateRequest({ ...base, background: 'transparent' }).background, 'transparent');
    assert.equal(validateRequest({ ...base, background: 'transparent', outputFormat: 'webp' }).outputFormat, 'webp');
    rejects(
      { ...base, background: 'transparent', outputFormat: 'jpeg' },
      'background',
      /^Background "transparent" needs output format png or webp, not jpeg\.$/,
    );
  });

  test('output compression is 0–100 and only for jpeg or webp', () => {
    assert.equal(validateRequest({ ...base, outputFormat: 'jpeg', outputCompression: 100 }).outputCompression, 100);
    rejects({ ...base, outputFormat: 'jpeg', outputCompression: 101 }, 'outputCompression', /whole number from 0 to 100, not 101/);
    rejects({ ...base, outputFormat: 'webp', outputCompression: -1 }, 'outputCompression', /not -1/);
    rejects({ ...base, outputFormat: 'webp', outputCompression: 50.5 }, 'outputCompression', /not 50\.5/);
    rejects({ ...base, outputFormat: 'png', outputCompression: 80 }, 'outputCompression', /only to jpeg and webp output, not png/);
    rejects({ ...base, outputCompression: 80 }, 'outputCompression', /not png/);
  });

  test('user is a string; an empty one is not sent', () => {
    assert.equal(validateRequest({ ...base, user: 'u-1' }).user, 'u-1');
    assert.equal('user' in validateRequest({ ...base, user: '' }), false);
    rejects({ ...base, user: 7 }, 'user', /User must be text/);
  });
});

suite('validate: all problems at once', () => {
  test('validateRequest names the bad fields in order, one at a time as each is fixed', () => {
    let input: GenerationInput = {
      prompt: '',
      model: 'gpt-image-2',
      n: 0,
      size: '1000x1000',
      quality: 'ultra',
      outputFormat: 'jpeg',
      background: 'transparent',
      outputCompression: 200,
      moderation: 'none',
      user: {},
    };
    rejects(input, 'prompt', /Describe the image/);
    const fields: string[] = [];
    for (;;) {
      let problem: ImageApiError | undefined;
      try {
        validateRequest(input);
      } catch (error) {
        assert.ok(error instanceof ImageApiError && error.kind === 'validation' && error.param !== undefined);
        problem = error;
      }
      if (!problem?.param) break;
      assert.match(problem.message, /\.$/, 'each message is a sentence');
      fields.push(problem.param);
      assert.ok(fields.length <= 10, `${problem.param} is reported again after being fixed`);
      // Fix that field: the prompt takes the valid one, every other field is left unset.
      const fixed: Record<string, unknown> = { ...input, prompt: base.prompt };
      if (problem.param !== 'prompt') delete fixed[problem.param];
      input = fixed;
    }
    assert.deepEqual(fields, ['prompt', 'n', 'size', 'quality', 'background', 'outputCompression', 'moderation', 'user']);
  });
});
