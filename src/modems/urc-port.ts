/**
 * The Quectel URC port init step (`AT+QURCCFG="urcport"`, kept in NV memory, factory `usbat`):
 * read it, and change it only when it differs from what the host interface needs; leave it
 * alone when the interface is not known (docs/models/ec20.md, "URC port").
 */
import type { InitContext } from './family';
import type { HostInterface } from './host-interface';
import type { InitStep } from './profile';
import { isSkippable } from './profile-commands';

/** The URC port value for each host interface (`AT+QURCCFG="urcport",<value>`). */
const URC_PORT_FOR: Record<HostInterface, string> = { usb: 'usbat', uart: 'uart1' };

export async function configureUrcPort(ctx: InitContext, step: InitStep): Promise<void> {
  const { cmds } = ctx;
  if (!ctx.hostInterface) {
    ctx.notice(`URC port left as the module has it: ${ctx.hostInterfaceReason}`);
    return;
  }
  const want = URC_PORT_FOR[ctx.hostInterface];
  let current: string | undefined;
  if (cmds.profile.commands.urcPortQuery) {
    try {
      current = (await cmds.query('urcPortQuery')).values[0]?.toLowerCase();
    } catch (err) {
      if (!isSkippable(err)) throw err;
      cmds.note(`URC port query refused (${err.message})`);
    }
  }
  if (current === want) {
    cmds.note(`URC port is ${want} already (${ctx.hostInterfaceReason})`);
    return;
  }
  if (await cmds.runStep(step, { urcPort: want })) {
    ctx.notice(`URC port changed from ${current ?? 'unknown'} to ${want} in the module's NV memory: ${ctx.hostInterfaceReason}`);
  }
}
