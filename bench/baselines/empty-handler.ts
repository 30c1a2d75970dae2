/**
 * Reference, not an alternative: a handler that does nothing, bundled with the catalog's BUNDLING. Its
 * cold start is Node's own start-up plus the driver.
 */

/** Answers 200 with an empty body. */
export function handler(): Promise<{ statusCode: number; body: string }> {
  return Promise.resolve({ statusCode: 200, body: '' });
}
