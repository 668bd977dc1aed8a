/** The code chosen by a profile's `family` and `dialect` names: the one place that maps them. */
import { espDialect, quectelDialect } from '../at/dialects';
import type { AtDialect } from '../at/types';
import { espFamily } from './esp-family';
import type { ModemFamily } from './family';
import type { ModemProfile } from './profile';
import { quectelFamily } from './quectel-family';

export const FAMILIES: Readonly<Record<ModemProfile['family'], ModemFamily>> = { quectel: quectelFamily, esp: espFamily };

const DIALECTS: Readonly<Record<ModemProfile['dialect'], AtDialect>> = { quectel: quectelDialect, esp: espDialect };

export function familyOf(profile: ModemProfile): ModemFamily {
  return FAMILIES[profile.family];
}

export function dialectOf(profile: ModemProfile): AtDialect {
  return DIALECTS[profile.dialect];
}
