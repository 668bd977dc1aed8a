/** The local Huawei IoTDA emulator: broker with the platform's rules, HTTP API and console. */
import { IotdaEmulator, type IotdaEmulatorOptions } from './emulator';
import { createHttpApi } from './http-api';

export { IotdaEmulator } from './emulator';
export type { IotdaEmulatorOptions, RequestResult, RequestStatus, CommandRequestBody, EmulatorEvent } from './emulator';
export type { DeviceSpec, DeviceView, HistoryEntry, ServiceState } from './device-registry';
export { decideConnect } from './connect-rules';
export { topicMatchesFilter } from './topic-filter';

export async function startIotdaEmulator(opts: IotdaEmulatorOptions = {}): Promise<IotdaEmulator> {
  const emu = new IotdaEmulator(opts);
  try {
    await emu.start();
    const http = createHttpApi(emu, { token: opts.httpToken });
    emu.httpPort = await emu.listen(http, opts.httpPort ?? 0);
    emu.url = `http://${emu.host.includes(':') ? `[${emu.host}]` : emu.host}:${emu.httpPort}/`;
    emu.log(`HTTP API and console on ${emu.url}`);
  } catch (err) {
    await emu.close();
    throw err;
  }
  return emu;
}
