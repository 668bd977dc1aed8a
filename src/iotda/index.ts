/** Huawei IoTDA device-side helpers: credentials, topics, payloads. Pure functions, no I/O. */
export * from './errors';
export * from './credentials';
export * from './topics';
export * from './payloads';
