export * from './types';
export * from './errors';
export { quectelDialect, espDialect, createQuectelDialect, type QuectelDialectOptions } from './dialects';
export { renderAtCommand } from './command-template';
export { LineFramer, type LineFramerSink } from './line-framer';
export { UrcTable } from './urc-table';
export { SecretRedactor } from './secret-redactor';
export { AtChannel, type AtChannelExtraOptions } from './channel';
export { regexLiteralPrefix } from './regex-literal-prefix';
