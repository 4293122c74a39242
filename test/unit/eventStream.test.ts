import * as assert from 'node:assert/strict';
import { EventStreamParser, readImageEvent, type ServerSentEvent } from '../../src/core/api/eventStream';

function parse(chunks: readonly (string | Buffer)[], max?: number): { events: ServerSentEvent[]; parser: EventStreamParser } {
  const events: ServerSentEvent[] = [];
  const parser = new EventStreamParser((event) => {
    events.push(event);
  }, max);
  for (const chunk of chunks) parser.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  parser.end();
  return { events, parser };
}

const partial = (b64: string, extra = ''): string =>
  `event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image","b64_json":"${b64}","partial_image_index":0${extra}}\n\n`;

suite('event stream: SSE parsing', () => {
  const stream =
    ': keep-alive\n\n' +
    partial('QUJD') +
    'event: image_generation.completed\r\ndata: {"type":"image_generation.completed","b64_json":"REVG","usage":{"output_tokens":5}}\r\n\r\n' +
    'data: [DONE]\n\n';

  test('events, comments, CRLF, [DONE]', () => {
    const { events } = parse([stream]);
    assert.equal(events.length, 3);
    assert.equal(events[0]!.event, 'image_generation.partial_image');
    assert.deepEqual(readImageEvent(events[0]!), { kind: 'partial', b64: 'QUJD', index: 0 });
    const done = readImageEvent(events[1]!);
    assert.equal(done.kind, 'completed');
    assert.equal(done.kind === 'completed' && done.b64, 'REVG');
    assert.deepEqual(readImageEvent(events[2]!), { kind: 'ignored' });
  });

  test('chunk boundaries anywhere give the same events (every split point, and byte by byte)', () => {
    const bytes = Buffer.from(stream + 'data: {"type":"x","note":"héllo ✓"}\n\n');
    const whole = parse([bytes]).events;
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.deepEqual(parse([bytes.subarray(0, cut), bytes.subarray(cut)]).events, whole, `split at ${cut}`);
    }
    const single = parse(Array.from(bytes, (byte) => Buffer.from([byte]))).events;
    assert.deepEqual(single, whole);
    assert.equal(JSON.parse(whole[3]!.data).note, 'héllo ✓', 'a multi-byte character split across chunks survives');
  });

  test('a 20 MB event in 64 KB chunks', () => {
    const b64 = 'A'.repeat(20 * 1024 * 1024);
    const bytes = Buffer.from(partial(b64));
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < bytes.length; offset += 65536) chunks.push(bytes.subarray(offset, offset + 65536));
    const { events } = parse(chunks);
    assert.equal(events.length, 1);
    const read = readImageEvent(events[0]!);
    assert.equal(read.kind === 'partial' && read.b64.length, b64.length);
  });

  test('data.type decides without an event name; partial_image_b64 alias; multi-line data', () => {
    const { events } = parse(['data: {"type":"image_edit.partial_image",\ndata: "partial_image_b64":"QUJD"}\n\n']);
    assert.deepEqual(readImageEvent(events[0]!), { kind: 'partial', b64: 'QUJD' });
    const named = parse(['event: image_generation.completed\ndata: {"b64_json":"QUJD"}\n\n']).events[0]!;
    assert.equal(readImageEvent(named).kind, 'completed');
  });

  test('errors: event: error, data.error, a plain-text error event', () => {
    const a = parse(['event: error\ndata: {"error":{"message":"Boom\\nsecond line","code":"server_error"}}\n\n']).events[0]!;
    assert.deepEqual(readImageEvent(a), { kind: 'error', message: 'Boom', code: 'server_error' });
    const b = parse(['data: {"error":{"message":"Your request was rejected","code":"moderation_blocked"}}\n\n']).events[0]!;
    assert.deepEqual(readImageEvent(b), { kind: 'error', message: 'Your request was rejected', code: 'moderation_blocked' });
    const c = parse(['event: error\ndata: upstream died\n\n']).events[0]!;
    assert.deepEqual(readImageEvent(c), { kind: 'error', message: 'upstream died' });
  });

  test('stops when told (completed): later bytes are ignored even if the stream never ends', () => {
    const events: ServerSentEvent[] = [];
    const parser = new EventStreamParser((event) => {
      events.push(event);
      return readImageEvent(event).kind === 'completed' ? false : undefined;
    });
    parser.push(Buffer.from('data: {"type":"image_generation.completed","b64_json":"QUJD"}\n\n' + partial('REVG')));
    parser.push(Buffer.from(partial('R0hJ')));
    assert.equal(parser.isStopped, true);
    assert.equal(events.length, 1);
  });

  test('an event above the limit is skipped without keeping its bytes; the next one is read', () => {
    const huge = partial('A'.repeat(5000));
    const { events, parser } = parse([huge.slice(0, 1000), huge.slice(1000), partial('QUJD')], 2000);
    assert.equal(parser.oversized, 1);
    assert.equal(events.length, 1);
    assert.deepEqual(readImageEvent(events[0]!), { kind: 'partial', b64: 'QUJD', index: 0 });
  });

  test('the last event is delivered when the stream closes without its blank line; junk is ignored', () => {
    assert.equal(parse(['data: {"type":"image_generation.completed","b64_json":"QUJD"}']).events.length, 1);
    assert.deepEqual(readImageEvent({ data: 'not json' }), { kind: 'ignored' });
    assert.deepEqual(readImageEvent({ data: '[1,2]' }), { kind: 'ignored' });
    assert.deepEqual(readImageEvent({ data: '{"type":"image_generation.partial_image"}' }), { kind: 'ignored' });
    assert.deepEqual(parse(['id: 5\nretry: 100\n\n']).events, []);
  });
});
