import type { ModemProfile } from '../profile';
import { Bc26Profile } from './bc26';
import { Ec20Profile } from './ec20';
import { Esp8266Profile } from './esp8266';

export { Bc26Profile, Ec20Profile, Esp8266Profile };

/** The profiles shipped with the package, by name. */
export const builtInProfiles: Readonly<Record<string, ModemProfile>> = Object.freeze({
  ec20: Ec20Profile,
  bc26: Bc26Profile,
  esp8266: Esp8266Profile,
});
