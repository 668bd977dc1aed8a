/**
 * An error that carries a catalog key, so the node turns it into a message in the runtime's
 * language at the edge (RED._), while the code below stays free of Node-RED.
 */
export class TranslatableError extends Error {
  constructor(
    readonly key: string,
    readonly params: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`${key} ${JSON.stringify(params)}`, options);
    this.name = 'TranslatableError';
  }
}
