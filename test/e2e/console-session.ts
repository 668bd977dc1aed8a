/**
 * The IoTDA emulator console as a user meets it after a few minutes of the demo: the demo device
 * online, answering commands, with ten minutes of sensor reports behind it (event times spread
 * over the last minutes, as a device that reports every 20 s would have sent them).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { DEMO_DEVICE } from '../../dist/sim/iotda/demo-device';
import { iotdaCredentials, IotdaTopics } from '../../dist/iotda';

export interface ConsoleRig {
  emu: IotdaEmulator;
  device: MqttClient;
  close(): Promise<void>;
}

/** yyyyMMddTHHmmssZ, the platform's event_time format. */
function platformTime(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export const REPORTS = 30;

export async function startConsoleRig(): Promise<ConsoleRig> {
  const emu = await startIotdaEmulator({ devices: [{ ...DEMO_DEVICE, services: [...DEMO_DEVICE.services] }, { deviceId: 'second_dev01', secret: 'second-secret', productId: 'demo_product' }] });
  const c = iotdaCredentials(DEMO_DEVICE.deviceId, DEMO_DEVICE.secret);
  const device = await mqtt.connectAsync(emu.mqttUrl, { clientId: c.clientId, username: c.username, password: c.password, reconnectPeriod: 0 });
  // Commands are answered as the demo flow answers LED: the switched LEDs come back as paras.
  device.on('message', (topic, payload) => {
    if (!topic.includes('/sys/commands/')) return;
    const requestId = topic.slice(topic.lastIndexOf('request_id=') + 11);
    const paras = (JSON.parse(payload.toString()) as { paras?: unknown }).paras ?? {};
    device.publish(IotdaTopics.commandResponse(DEMO_DEVICE.deviceId, requestId), JSON.stringify({ result_code: 0, response_name: 'LED', paras }));
  });
  const now = Date.now();
  for (let i = 0; i < REPORTS; i++) {
    const at = new Date(now - (REPORTS - 1 - i) * 18000);
    const report = {
      services: [{
        service_id: 'stm32',
        event_time: platformTime(at),
        properties: {
          temperature: Math.round((24 + 3 * Math.sin(i / 4)) * 10) / 10,
          humidity: Math.round(55 + 10 * Math.cos(i / 5)),
          smoke: 180 + ((i * 37) % 90),
          flame: i % 7 === 0 ? 1 : 0,
          status: 'ok',
        },
      }],
    };
    const reported = new Promise<void>((resolve) => {
      const off = emu.onEvent((e) => {
        if (e.type === 'report' && e.deviceId === DEMO_DEVICE.deviceId) {
          off();
          resolve();
        }
      });
    });
    await device.publishAsync(IotdaTopics.propertiesReport(DEMO_DEVICE.deviceId), JSON.stringify(report), { qos: 1 });
    await reported;
  }
  return {
    emu,
    device,
    close: async () => {
      await device.endAsync(true);
      await emu.close();
    },
  };
}
