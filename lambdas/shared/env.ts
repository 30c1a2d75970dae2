import { MissingEnvironmentError } from './errors';

/** Reads a required environment variable, failing fast with its name and what sets it. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new MissingEnvironmentError(
      `Environment variable ${name} is not set. It is set by the stack (lambdas/catalog.ts); redeploy, or set it when running locally.`,
    );
  }
  return value;
}

/** Reads an optional environment variable (empty counts as unset). */
export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Reads an optional positive integer environment variable, with a default. */
export function intEnv(name: string, fallback: number): number {
  const raw = optionalEnv(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new MissingEnvironmentError(`Environment variable ${name} must be a whole number, got "${raw}".`);
  }
  return n;
}

/** The project's resource name prefix (`PROJECT_PREFIX`, default `hf-rollout`). */
export function projectPrefix(): string {
  return optionalEnv('PROJECT_PREFIX') ?? 'hf-rollout';
}
