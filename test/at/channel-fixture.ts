/** An AtChannel on a DuplexTransport over an in-process pipe, with the modem end scripted by the test. */
import { AtChannel } from '../../dist/at/channel';
import { quectelDialect } from '../../dist/at/dialects';
import type { AtChannelOptions } from '../../dist/at/types';
import { DuplexTransport } from '../../dist/transport/duplex-transport';
import { ModemSide, createPipe } from './modem-side';

export interface ChannelFixture {
  channel: AtChannel;
  transport: DuplexTransport;
  modem: ModemSide;
  unsolicited: string[];
  reboots: string[];
  traces: string[];
  close(): Promise<void>;
}

export async function openChannel(opts: Partial<AtChannelOptions> & Record<string, unknown> = {}): Promise<ChannelFixture> {
  const [hostEnd, modemEnd] = createPipe();
  const transport = new DuplexTransport(hostEnd, 'test pipe');
  await transport.open();
  const traces: string[] = [];
  const channel = new AtChannel(transport, {
    dialect: quectelDialect,
    trace: (d, t) => traces.push(`${d} ${t}`),
    ...opts,
  } as AtChannelOptions);
  const unsolicited: string[] = [];
  const reboots: string[] = [];
  channel.on('unsolicited', (l: string) => unsolicited.push(l));
  channel.on('reboot', (l: string) => reboots.push(l));
  const modem = new ModemSide(modemEnd);
  return {
    channel,
    transport,
    modem,
    unsolicited,
    reboots,
    traces,
    async close() {
      await channel.close();
      await transport.close();
      modemEnd.destroy();
    },
  };
}

/** Attaches to a command promise at once, so a rejection that comes while the test is still scripting is not "unhandled". */
export async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}
