/**
 * The framer remembers where the next CR and the next LF are within a read: lines that end in
 * LF alone before a CR further on, and CR-only lines before an LF, must still split exactly
 * where each break is, in one read and in every other chunking.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_MODES } from './modem-side';
import { openChannel } from './channel-fixture';

const LF_LINES = Array.from({ length: 40 }, (_, i) => `L${i}`);
const CR_LINES = Array.from({ length: 40 }, (_, i) => `C${i}`);
const INPUT = `${LF_LINES.join('\n')}\nTAIL\r\n${CR_LINES.join('\r')}\rlast\n`;

describe('line break search', () => {
  for (const mode of CHUNK_MODES) {
    it(`LF-only lines before a far CR, CR-only lines before a far LF [${mode}]`, async () => {
      const f = await openChannel();
      try {
        await f.modem.send(INPUT, mode);
        await f.modem.send('\r\nEND\r\n');
        assert.deepEqual(f.unsolicited, [...LF_LINES, 'TAIL', ...CR_LINES, 'last', 'END']);
      } finally {
        await f.close();
      }
    });
  }

  it('reads holding the very same text one after another are each split from their start', async () => {
    const f = await openChannel();
    try {
      for (let i = 0; i < 3; i++) await f.modem.send('\r\n+CSQ: 20,99\r\n\r\nOK\r\n', 'whole');
      await f.modem.send('\r\nEND\r\n');
      assert.deepEqual(f.unsolicited, ['+CSQ: 20,99', 'OK', '+CSQ: 20,99', 'OK', '+CSQ: 20,99', 'OK', 'END']);
    } finally {
      await f.close();
    }
  });
});
