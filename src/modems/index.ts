/** Public API of the modem layer: profiles, the custom-profile loader and the generic driver. */
export * from './driver';
export { ModemError, PayloadRejectedError, ProfileError } from './errors';
export type { ModemProfile, ProfileLimits, PublishSpec, AttachSpec, InitStep, IdentityStep, ResultTable } from './profile';
export { builtInProfiles, Ec20Profile, Bc26Profile, Esp8266Profile } from './profiles';
export { loadProfile, getProfile, registerProfile, validateProfile } from './load-profile';
export { checkPublish, checkTopic, maxPayloadFor, meaningOf, publishLimitsOf } from './payload-check';
export { createModemDriver, GenericModemDriver, type ModemDriverOptions } from './generic-driver';
export type { SessionOpenOptions } from './quectel-session';
export type { DriverTrace } from './profile-commands';
export { decideHostInterface, isHostInterfaceSetting, type HostInterface, type HostInterfaceSetting, type HostInterfaceDecision } from './host-interface';
export { IOTDA_ROOT_CA_FILE, caProblem, iotdaRootCa, resolveTls, type TlsOptions, type TlsSetting } from './tls-options';
