/**
 * Custom profiles: a JSON file (or object) that extends a built-in profile, e.g.
 * `{"extends": "ec20", "name": "bg96", "limits": {"payloadBytes": 1548}}`.
 * Validation happens here, once, with errors that name the field, so that a typo in a
 * user's file fails at deploy time instead of as a strange modem answer later.
 */
import Mustache from 'mustache';
import { ProfileError } from './errors';
import { FAMILIES } from './families';
import type { InitStep, ModemProfile } from './profile';
import { answerPrefixOf } from './profile-commands';
import { builtInProfiles } from './profiles';

const registry = new Map<string, ModemProfile>(Object.entries(builtInProfiles));

/** Commands each attach procedure runs. */
const ATTACH_COMMANDS: Record<ModemProfile['attach']['kind'], string[]> = {
  'cellular-qiact': ['cpin', 'csq', 'apn', 'pdpQuery', 'pdpActivate'],
  'cellular-cgatt': ['cpin', 'csq', 'apn', 'attachQuery'],
  wifi: ['wifiMode', 'wifiJoin', 'rssi'],
};

const MERGED_OBJECTS = ['commands', 'urcs', 'responses', 'limits', 'timeouts', 'publish', 'attach'] as const;
const REPLACED_FIELDS = [
  'name', 'extends', 'description', 'family', 'dialect', 'bootBanners', 'init', 'mqttConfig', 'identity',
  'recvHasLength', 'minFirmware', 'busyRetries', 'settleAfterBootMs', 'rebootOnGarbage', 'echoBackIsRestart',
] as const;
const KNOWN_FIELDS = new Set<string>([...MERGED_OBJECTS, ...REPLACED_FIELDS, 'results']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Looks up a built-in or previously registered profile. */
export function getProfile(name: string): ModemProfile {
  const p = registry.get(name.toLowerCase());
  if (!p) throw new ProfileError(`unknown modem profile "${name}" (known: ${[...registry.keys()].join(', ')})`);
  return p;
}

/** Makes a loaded profile selectable by name (e.g. as the base of another custom profile). */
export function registerProfile(profile: ModemProfile): void {
  if (builtInProfiles[profile.name]) throw new ProfileError(`profile name "${profile.name}" is a built-in profile`);
  registry.set(profile.name, validateProfile(profile));
}

/**
 * Parses (when given a string), merges onto the `extends` base and validates a profile.
 * Objects (`commands`, `urcs`, `limits`, `timeouts`, `publish`, `attach`, each table in
 * `results`) merge key by key; arrays and scalars replace the base's value.
 */
export function loadProfile(jsonOrObject: string | Record<string, unknown>): ModemProfile {
  let input: unknown = jsonOrObject;
  if (typeof jsonOrObject === 'string') {
    try {
      input = JSON.parse(jsonOrObject);
    } catch (err) {
      throw new ProfileError(`profile is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!isPlainObject(input)) throw new ProfileError('profile must be a JSON object');
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) throw new ProfileError(`profile field "${key}" is not known (known: ${[...KNOWN_FIELDS].join(', ')})`);
  }
  if (typeof input.name !== 'string') throw new ProfileError('profile field "name" is required (a string)');
  let merged: Record<string, unknown>;
  if (input.extends !== undefined) {
    if (typeof input.extends !== 'string') throw new ProfileError('profile field "extends" must be a profile name');
    const base = getProfile(input.extends) as unknown as Record<string, unknown>;
    merged = { ...base };
    for (const key of MERGED_OBJECTS) {
      if (input[key] === undefined) continue;
      if (!isPlainObject(input[key])) throw new ProfileError(`profile field "${key}" must be an object`);
      merged[key] = { ...(base[key] as Record<string, unknown>), ...(input[key] as Record<string, unknown>) };
    }
    if (input.results !== undefined) {
      if (!isPlainObject(input.results)) throw new ProfileError('profile field "results" must be an object of tables');
      const results: Record<string, unknown> = { ...(base.results as Record<string, unknown>) };
      for (const [table, codes] of Object.entries(input.results)) {
        if (!isPlainObject(codes)) throw new ProfileError(`results.${table} must be an object of code → meaning`);
        results[table] = { ...(results[table] as Record<string, unknown> | undefined), ...codes };
      }
      merged.results = results;
    }
    for (const key of REPLACED_FIELDS) if (input[key] !== undefined) merged[key] = input[key];
  } else {
    merged = { ...input };
  }
  return validateProfile(merged as unknown as ModemProfile);
}

function fail(field: string, why: string): never {
  throw new ProfileError(`profile field "${field}" ${why}`);
}

function checkInt(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(field, `must be an integer ${min}..${max}`);
}

function checkSteps(field: string, steps: unknown, commands: Record<string, string>): void {
  if (!Array.isArray(steps)) fail(field, 'must be an array of steps');
  (steps as InitStep[]).forEach((s, i) => {
    if (!isPlainObject(s) || typeof s.command !== 'string') fail(`${field}[${i}]`, 'must be {"command": "<template name>"}');
    if (!(s.command in commands)) fail(`${field}[${i}].command`, `names "${s.command}", which is not in "commands"`);
    if (s.fallback !== undefined && !(s.fallback in commands)) fail(`${field}[${i}].fallback`, `names "${s.fallback}", which is not in "commands"`);
    if (s.enables !== undefined && s.enables !== 'recvLength') fail(`${field}[${i}].enables`, 'must be "recvLength"');
  });
}

/** Checks a complete profile; returns it frozen-free as given. */
export function validateProfile(p: ModemProfile): ModemProfile {
  if (typeof p.name !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,31}$/.test(p.name)) {
    fail('name', 'must be 1-32 lowercase letters, digits, "_", "." or "-"');
  }
  if (p.family !== 'quectel' && p.family !== 'esp') fail('family', 'must be "quectel" or "esp"');
  if (p.dialect !== 'quectel' && p.dialect !== 'esp') fail('dialect', 'must be "quectel" or "esp"');
  if (!isPlainObject(p.commands)) fail('commands', 'must be an object of name → mustache template');
  for (const [name, tpl] of Object.entries(p.commands)) {
    if (typeof tpl !== 'string' || !/^AT/i.test(tpl)) fail(`commands.${name}`, 'must be a string starting with "AT"');
    if (/[\r\n]/.test(tpl)) fail(`commands.${name}`, 'must not contain CR or LF');
    if (tpl.includes('{{{') || tpl.includes('{{&')) fail(`commands.${name}`, 'must not use unescaped mustache tags ({{{ }}} or {{& }})');
    try {
      Mustache.parse(tpl);
    } catch (err) {
      fail(`commands.${name}`, `is not a valid mustache template: ${(err as Error).message}`);
    }
  }
  const family = FAMILIES[p.family];
  for (const name of family.requiredCommands) {
    if (!(name in p.commands)) fail(`commands.${name}`, `is required for the ${p.family} family`);
  }
  if (!isPlainObject(p.urcs)) fail('urcs', 'must be an object of name → regex source');
  for (const [name, src] of Object.entries(p.urcs)) {
    if (typeof src !== 'string') fail(`urcs.${name}`, 'must be a regex source string');
    try {
      new RegExp(src.replace(/\{\{\w+\}\}/g, '0'));
    } catch (err) {
      fail(`urcs.${name}`, `is not a valid regex: ${(err as Error).message}`);
    }
  }
  for (const name of family.requiredUrcs) {
    if (!(name in p.urcs)) fail(`urcs.${name}`, `is required for the ${p.family} family`);
  }
  if (p.responses !== undefined && !isPlainObject(p.responses)) fail('responses', 'must be an object of name → regex source');
  for (const [name, src] of Object.entries(p.responses ?? {})) {
    if (typeof src !== 'string' || !src.startsWith('^')) fail(`responses.${name}`, 'must be a regex source string starting with "^"');
    try {
      new RegExp(src);
    } catch (err) {
      fail(`responses.${name}`, `is not a valid regex: ${(err as Error).message}`);
    }
  }
  if (!isPlainObject(p.results)) fail('results', 'must be an object of tables');
  for (const [table, codes] of Object.entries(p.results)) {
    for (const [code, meaning] of Object.entries(codes)) {
      if (typeof meaning !== 'string') fail(`results.${table}.${code}`, 'must be a string meaning');
    }
  }
  if (!Array.isArray(p.bootBanners) || p.bootBanners.some((b) => typeof b !== 'string' || b.length === 0)) {
    fail('bootBanners', 'must be an array of non-empty strings');
  }
  const l = p.limits;
  if (!isPlainObject(l)) fail('limits', 'must be an object');
  checkInt('limits.topicBytes', l.topicBytes, 1, 65535);
  checkInt('limits.payloadBytes', l.payloadBytes, 1, 1 << 20);
  checkInt('limits.lineBytes', l.lineBytes, 0, 65535);
  checkInt('limits.hostBytes', l.hostBytes, 1, 1024);
  if (!Array.isArray(l.clientIndexes) || l.clientIndexes.length !== 2) fail('limits.clientIndexes', 'must be [first, last]');
  checkInt('limits.clientIndexes[0]', l.clientIndexes[0], 0, 15);
  checkInt('limits.clientIndexes[1]', l.clientIndexes[1], l.clientIndexes[0], 15);
  for (const k of ['clientIdBytes', 'usernameBytes', 'passwordBytes', 'mqttBufferBytes'] as const) {
    if (l[k] !== undefined) checkInt(`limits.${k}`, l[k], 1, 1 << 20);
  }
  if (!isPlainObject(p.timeouts)) fail('timeouts', 'must be an object of name → ms');
  for (const [name, ms] of Object.entries(p.timeouts)) checkInt(`timeouts.${name}`, ms, 1, 3_600_000);
  checkSteps('init', p.init, p.commands);
  checkSteps('mqttConfig', p.mqttConfig, p.commands);
  if (!Array.isArray(p.identity)) fail('identity', 'must be an array');
  p.identity.forEach((s, i) => {
    if (!isPlainObject(s) || !(s.command in p.commands)) fail(`identity[${i}].command`, 'must name a template in "commands"');
    if (!Array.isArray(s.responsePrefixes)) fail(`identity[${i}].responsePrefixes`, 'must be an array of strings');
    for (const [f, src] of Object.entries(s.fields ?? {})) {
      try {
        new RegExp(src as string);
      } catch (err) {
        fail(`identity[${i}].fields.${f}`, `is not a valid regex: ${(err as Error).message}`);
      }
    }
  });
  if (!isPlainObject(p.attach) || !['cellular-qiact', 'cellular-cgatt', 'wifi'].includes(p.attach.kind)) {
    fail('attach.kind', 'must be "cellular-qiact", "cellular-cgatt" or "wifi"');
  }
  for (const q of p.attach.registration ?? []) {
    if (!(q in p.commands)) fail('attach.registration', `names "${q}", which is not in "commands"`);
    if (p.responses?.[q] === undefined && !answerPrefixOf(p.commands[q])) {
      fail(`responses.${q}`, `is required: the registration query "${p.commands[q]}" does not say what its answer starts with`);
    }
  }
  for (const name of ATTACH_COMMANDS[p.attach.kind]) {
    if (!(name in p.commands)) fail(`commands.${name}`, `is required for attach.kind "${p.attach.kind}"`);
  }
  if (!family.attachKinds.includes(p.attach.kind)) fail('attach.kind', `must be ${family.attachKinds.map((k) => `"${k}"`).join(' or ')} for the ${p.family} family`);
  if (!isPlainObject(p.publish) || !['length', 'ctrlz', 'raw'].includes(p.publish.mode)) {
    fail('publish.mode', 'must be "length", "ctrlz" or "raw"');
  }
  if (!family.publishModes.includes(p.publish.mode)) {
    fail('publish.mode', `must be ${family.publishModes.map((m) => `"${m}"`).join(' or ')} for the ${p.family} family`);
  }
  if (!Array.isArray(p.publish.refusedBytes)) fail('publish.refusedBytes', 'must be an array of byte values');
  p.publish.refusedBytes.forEach((b, i) => checkInt(`publish.refusedBytes[${i}]`, b, 0, 255));
  if (p.publish.delayAfterPromptMs !== undefined) checkInt('publish.delayAfterPromptMs', p.publish.delayAfterPromptMs, 0, 1000);
  if (p.busyRetries !== undefined) checkInt('busyRetries', p.busyRetries, 0, 50);
  if (p.settleAfterBootMs !== undefined) checkInt('settleAfterBootMs', p.settleAfterBootMs, 0, 60_000);
  for (const flag of ['rebootOnGarbage', 'echoBackIsRestart'] as const) {
    if (p[flag] !== undefined && typeof p[flag] !== 'boolean') fail(flag, 'must be true or false');
  }
  if (p.minFirmware !== undefined && !/^\d+\.\d+$/.test(p.minFirmware)) fail('minFirmware', 'must look like "2.2"');
  return p;
}
