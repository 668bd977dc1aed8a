/**
 * The network time answers of each built-in profile, read with its own `responses.networkTime`
 * pattern (docs/models/ec20.md, bc26.md, esp8266.md, "Network time"): table-driven, line in,
 * UTC out, or no time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetworkTime } from '../../dist/modems/network-time';
import { getProfile } from '../../dist/modems/load-profile';

const UTC = Date.UTC(2026, 11, 7, 6, 24, 3);

describe('network time answers per profile', () => {
  const cases: [model: string, line: string, utc: number | undefined][] = [
    // EC20 AT+QLTS=1: GMT, the zone is information only.
    ['ec20', '+QLTS: "2026/12/07,06:24:03+32,0"', UTC],
    ['ec20', '+QLTS: "2026/12/07,06:24:03-20,1"', UTC],
    ['ec20', '+QLTS: ""', undefined],
    ['ec20', '+QLTS: "garbage"', undefined],
    // BC26 AT+CCLK?: UTC, unpadded, zone in hours after GMT; the quoted 3GPP form too.
    ['bc26', '+CCLK: 2026/12/7,6:24:3GMT+8', UTC],
    ['bc26', '+CCLK: 2026/12/07,06:24:03GMT-5', UTC],
    ['bc26', '+CCLK: "26/12/07,06:24:03+00"', UTC],
    // 3GPP TS 27.007 +CCLK: local time, zone in quarter hours (+32 = UTC+8).
    ['bc26', '+CCLK: "26/12/07,14:24:03+32"', UTC],
    ['bc26', '+CCLK: 2026/13/07,06:24:03GMT+8', undefined],
    // ESP-AT AT+CIPSNTPTIME? with time zone 0: ctime, day padded with a space.
    ['esp8266', '+CIPSNTPTIME:Mon Dec  7 06:24:03 2026', UTC],
    ['esp8266', '+CIPSNTPTIME:Mon Dec 07 06:24:03 2026', UTC],
    ['esp8266', '+CIPSNTPTIME:Thu Jan  1 00:00:05 1970', Date.UTC(1970, 0, 1, 0, 0, 5)],
  ];
  for (const [model, line, utc] of cases) {
    it(`${model}: ${line} → ${utc === undefined ? 'no time' : new Date(utc).toISOString()}`, () => {
      const source = getProfile(model).responses?.networkTime;
      assert.ok(source, `${model} names a network time pattern`);
      assert.equal(parseNetworkTime(line, source), utc);
    });
  }

  it('a `zone` group means local time: the zone in quarter hours is taken off', () => {
    const source = '^\\+CCLK: *"(?<year>\\d{2})/(?<month>\\d{2})/(?<day>\\d{2}),(?<hour>\\d{2}):(?<minute>\\d{2}):(?<second>\\d{2})(?<zone>[+-]\\d+)"';
    assert.equal(parseNetworkTime('+CCLK: "26/12/07,14:24:03+32"', source), UTC);
    assert.equal(parseNetworkTime('+CCLK: "26/12/07,01:24:03-20"', source), UTC);
  });
});
