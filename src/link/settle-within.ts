/**
 * Waits for `p` to settle (either way) but no longer than `ms`: close handlers must call
 * `done` before Node-RED's 15 s close timeout even when a modem never answers.
 */
export function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
