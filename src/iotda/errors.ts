/**
 * The one error type of the IoTDA helpers. `code` lets callers (nodes, link supervisor)
 * branch on the reason without matching message text.
 */
export type IotdaErrorCode =
  | 'bad-device-id'
  | 'bad-secret'
  | 'bad-sign-type'
  | 'topic-too-long'
  | 'payload-too-large'
  | 'bad-payload'
  | 'bad-downlink';

export class IotdaError extends Error {
  readonly code: IotdaErrorCode;
  constructor(code: IotdaErrorCode, message: string) {
    super(message);
    this.name = 'IotdaError';
    this.code = code;
  }
}
