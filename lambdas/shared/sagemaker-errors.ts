/**
 * SageMaker reports most "not found" and "already exists" cases as a generic `ValidationException`
 * whose message carries the meaning ("Could not find model ...", "Cannot create already existing
 * endpoint ..."), so the handlers classify errors by name and message here, in one place.
 */

/** Kinds of SageMaker resources a rollout creates. */
export type SageMakerResourceKind = 'model' | 'endpoint configuration' | 'endpoint';

function nameAndMessage(error: unknown): { name: string; message: string } | null {
  if (!(error instanceof Error)) return null;
  return { name: error.name, message: error.message };
}

/**
 * True when SageMaker says the resource does not exist: `ValidationException` "Could not find model
 * \"x\"." (likewise endpoint / endpoint configuration), or the modeled `ResourceNotFound` some
 * operations use. Given `kind`, only that resource type counts ("endpoint" does not match
 * "endpoint configuration").
 */
export function isNotFound(error: unknown, kind?: SageMakerResourceKind): boolean {
  const e = nameAndMessage(error);
  if (e === null) return false;
  if (e.name === 'ResourceNotFound') return true;
  if (e.name !== 'ValidationException') return false;
  const match = /Could not find (model|endpoint configuration|endpoint)\b/i.exec(e.message);
  if (match === null) return false;
  return kind === undefined || match[1]?.toLowerCase() === kind;
}

/** True when SageMaker refuses a Create call because the name is taken ("Cannot create already existing ..."). */
export function isAlreadyExists(error: unknown, kind?: SageMakerResourceKind): boolean {
  const e = nameAndMessage(error);
  if (e === null || e.name !== 'ValidationException') return false;
  const match = /Cannot create already existing (model|endpoint configuration|endpoint)\b/i.exec(e.message);
  if (match === null) return false;
  return kind === undefined || match[1]?.toLowerCase() === kind;
}
