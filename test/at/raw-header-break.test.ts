/**
 * A raw-read header is a header of its own line only: when a partial regex can only match by
 * running through a line break (`[^"]*` takes CR LF), nothing is claimed and the bytes stay
 * lines, and the handler is not even asked. The matched header alone is checked, never the
 * payload after it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_MODES } from './modem-side';
import { openChannel } from './channel-fixture';

describe('raw-read header across a line break', () => {
  for (const mode of CHUNK_MODES) {
    it(`is not claimed; the lines arrive as lines, and a real header after them is still claimed [${mode}]`, async () => {
      const f = await openChannel();
      try {
        const payloads: string[] = [];
        const asked: string[] = [];
        f.channel.addUrc({
          name: 'qmtrecv',
          prefix: '+QMTRECV:',
          partial: /^\+QMTRECV: (\d+),(\d+),"([^"]*)",(\d+),"/,
          onPartial: (m) => {
            asked.push(m[3]);
            return { length: Number(m[4]), onRaw: (p) => payloads.push(p.toString('utf8')) };
          },
        });
        await f.modem.send('+QMTRECV: 0,1,"a\r\nb",3,"xyz"\r\n+QMTRECV: 0,2,"t",2,"ok"\r\nEND\r\n', mode);
        assert.deepEqual(f.unsolicited, ['+QMTRECV: 0,1,"a', 'b",3,"xyz"', 'END']);
        assert.deepEqual(payloads, ['ok']);
        // Only the real header reached the handler (a handler may keep state per header).
        assert.deepEqual(asked, ['t']);
      } finally {
        await f.close();
      }
    });
  }
});
