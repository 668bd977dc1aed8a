/**
 * Publish cost on the EC20 driver, against the emulator and a loopback broker.
 * 1. Host CPU per publish (emulator unpaced), as a ratio against a bare client that writes
 *    the same AT bytes by hand and waits for the same answers: the driver's own overhead.
 * 2. Publishes/s at 115200 baud (both directions paced) against the wire-time bound of the
 *    bytes actually exchanged, plus those bytes beside the minimum the dialect needs.
 */
import { performance } from 'node:perf_hooks';
import { iotdaCredentials } from '../../dist/iotda/credentials';
import { D, DEVICE, SECRET, startHarness, type Harness } from '../modems/emulator-harness';

export const title = 'EC20 publish: host CPU per publish and throughput vs the 115200-baud wire bound';

const TOPIC = `${D}/properties/report`;
const BAUD = 115200;

function report150(): Buffer {
  const base = { services: [{ service_id: 'Environment', properties: { temperature: 23.5, humidity: 41, pressure: 1013.2, note: '' } }] };
  const pad = 150 - Buffer.byteLength(JSON.stringify(base));
  base.services[0].properties.note = 'x'.repeat(Math.max(0, pad));
  return Buffer.from(JSON.stringify(base));
}

async function online(h: Harness): Promise<void> {
  await h.driver.init();
  await h.driver.attachNetwork({ apn: 'cmnet' });
  await h.driver.open('iot.example.com', 1883, false);
  const c = iotdaCredentials(DEVICE, SECRET);
  await h.driver.connect(c.clientId, c.username, c.password, 120, true);
}

/** The same exchange as the driver's, written by hand: the least host work possible. */
async function barePublishes(h: Harness, n: number, qos: 0 | 1, payload: Buffer): Promise<void> {
  const t = h.transport;
  let inbox = '';
  let waiter: { re: RegExp; resolve: () => void } | undefined;
  const onData = (chunk: Buffer) => {
    inbox += chunk.toString('latin1');
    if (waiter && waiter.re.test(inbox)) {
      inbox = '';
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  };
  t.on('data', onData);
  const until = (re: RegExp) =>
    new Promise<void>((resolve) => {
      if (re.test(inbox)) {
        inbox = '';
        resolve();
      } else waiter = { re, resolve };
    });
  try {
    for (let i = 0; i < n; i++) {
      const mid = qos === 0 ? 0 : (i % 60000) + 30000;
      inbox = '';
      await t.write(Buffer.from(`AT+QMTPUB=0,${mid},${qos},0,"${TOPIC}",${payload.length}\r`));
      await until(/\r\n> $/);
      await t.write(payload);
      await until(qos === 0 ? /\r\nOK\r\n/ : new RegExp(`\\+QMTPUB: 0,${mid},0\\r\\n`));
    }
  } finally {
    t.off('data', onData);
  }
}

async function cpuPerPublish(fn: () => Promise<void>, n: number): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

export async function run(log: (line: string) => void): Promise<void> {
  const payload = report150();
  log(`payload: ${payload.length}-byte property report, topic ${Buffer.byteLength(TOPIC)} bytes`);

  // 1. CPU, unpaced.
  {
    const h = await startHarness('ec20', { baudRate: 0, urcLatencyMs: [0, 0] });
    try {
      await online(h);
      const n = 400;
      for (const qos of [0, 1] as const) {
        await barePublishes(h, 50, qos, payload);
        for (let i = 0; i < 50; i++) await h.driver.publish(TOPIC, payload, qos);
        const bare = await cpuPerPublish(() => barePublishes(h, n, qos, payload), n);
        const driver = await cpuPerPublish(async () => {
          for (let i = 0; i < n; i++) await h.driver.publish(TOPIC, payload, qos);
        }, n);
        log(`QoS ${qos}: host CPU per publish ${driver.toFixed(0)} µs with the driver vs ${bare.toFixed(0)} µs bare (same process: emulator + broker included) = ${(driver / bare).toFixed(2)}x`);
      }
    } finally {
      await h.close();
    }
  }

  // 2. Throughput, paced at 115200 baud in both directions.
  {
    const h = await startHarness('ec20', { baudRate: BAUD, urcLatencyMs: [0, 0] });
    try {
      await online(h);
      const n = 60;
      for (const qos of [0, 1] as const) {
        for (let i = 0; i < 5; i++) await h.driver.publish(TOPIC, payload, qos);
        const out0 = h.transport.bytesOut;
        const in0 = h.transport.bytesIn;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await h.driver.publish(TOPIC, payload, qos);
        const seconds = (performance.now() - t0) / 1000;
        const bytesPer = (h.transport.bytesOut - out0 + h.transport.bytesIn - in0) / n;
        const rate = n / seconds;
        const bound = BAUD / 10 / bytesPer;
        const cmd = Buffer.byteLength(`AT+QMTPUB=0,${qos ? 1 : 0},${qos},0,"${TOPIC}",${payload.length}\r`);
        const minimum = cmd + '\r\n> '.length + payload.length + '\r\nOK\r\n'.length + (qos ? '\r\n+QMTPUB: 0,1,0\r\n'.length : 0);
        const target = qos === 0 ? 0.9 : 0.8;
        // The bound counts both directions as if the line were half duplex; at QoS 0 the trailing
        // +QMTPUB URC overlaps the next command on the full-duplex UART, so > 1.0x is possible.
        log(
          `QoS ${qos}: ${rate.toFixed(1)} publishes/s vs wire bound ${bound.toFixed(1)}/s = ${(rate / bound).toFixed(2)}x (target >= ${target}x); ` +
            `${bytesPer.toFixed(0)} bytes exchanged per publish vs ${minimum} minimum (command, prompt, payload, result) = ${(bytesPer / minimum).toFixed(2)}x`,
        );
      }
      if (h.emulator.violations.length) log(`emulator violations: ${h.emulator.violations.join('; ')}`);
    } finally {
      await h.close();
    }
  }
}
