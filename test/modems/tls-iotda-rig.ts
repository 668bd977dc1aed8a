/**
 * The IoTDA emulator with its MQTTS listener for the EC20 TLS tests (over a stream and over a
 * pty): one device, a second CA that did not sign the emulator's server certificate, and a
 * count of the device logins the broker saw (reset it where a test starts).
 */
import { after, before } from 'node:test';
import { startIotdaEmulator, type IotdaEmulator } from '../../dist/sim/iotda';
import { generateTestCertificates } from '../../dist/sim/iotda/test-certificates';

export interface TlsIotdaRig {
  readonly iotda: IotdaEmulator;
  /** A CA that did not sign the emulator's server certificate. */
  readonly otherCa: string;
  /** Device logins since the last reset. */
  logins: number;
}

export function useTlsIotda(deviceId: string, secret: string): TlsIotdaRig {
  let iotda: IotdaEmulator | undefined;
  let otherCa = '';
  const rig = {
    get iotda(): IotdaEmulator {
      if (!iotda) throw new Error('the IoTDA emulator is not started yet');
      return iotda;
    },
    get otherCa(): string {
      return otherCa;
    },
    logins: 0,
  };
  const countLogin = () => rig.logins++;
  before(async () => {
    iotda = await startIotdaEmulator({ host: '127.0.0.1', mqttPort: 0, httpPort: 0, tlsPort: 0, devices: [{ deviceId, secret }], log: () => undefined });
    otherCa = (await generateTestCertificates('127.0.0.1')).caCertPem;
    iotda.on('online', countLogin);
  });
  after(async () => {
    iotda?.off('online', countLogin);
    await iotda?.close();
  });
  return rig;
}
