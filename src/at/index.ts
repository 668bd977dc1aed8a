export * from './types';
export * from './errors';
export { quectelDialect, espDialect, createQuectelDialect, type QuectelDialectOptions } from './dialects';
export { renderAtCommand } from './command-template';
export { LineAssembler, type LineSink } from './line-assembler';
export { UrcTable, type RawRead } from './urc-table';
export { SecretRedactor } from './secret-redactor';
export { AtChannel, type AtChannelExtraOptions } from './channel';
