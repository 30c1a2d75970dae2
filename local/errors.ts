/**
 * Why the local cloud could not start. Each names what is at fault and the fix, so the CLI can print
 * one line and map the class to an exit code (bad options: 2; anything else: 4, cannot start).
 */

/** An option of LocalCloud.start is out of range (a command-line mistake: exit 2). */
export class LocalCloudOptionsError extends Error {
  override readonly name = 'LocalCloudOptionsError';
}

/** Another live local cloud holds the data folder's lock. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    /** What the owner says about itself (pid, endpoint), when it answered. */
    readonly owner: { readonly pid?: number; readonly endpoint?: string } | undefined,
  ) {
    super(
      `A local cloud${owner?.pid === undefined ? '' : ` (pid ${owner.pid}${owner.endpoint === undefined ? '' : `, ${owner.endpoint}`})`} already uses ${dataDir}. ` +
        'Stop it (npx rollout down --data-dir <dir>) or use another --data-dir.',
    );
  }
}

/** A port the cloud needs is taken (or not allowed). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    /** Which port: 'AWS API', 'edge' or 'console'. */
    readonly role: string,
    readonly port: number,
    /** The command-line flag that chooses it, e.g. `--edge-port`. */
    readonly flag: string,
    options?: ErrorOptions,
  ) {
    super(
      `The ${role} port ${port} is in use (${(options?.cause as NodeJS.ErrnoException | undefined)?.code ?? 'EADDRINUSE'}). ` +
        `Stop what uses it, or pick another with ${flag} <n> (0 picks a free port).`,
      options,
    );
  }
}

/** A state file in the data folder cannot be read. */
export class CorruptStateError extends Error {
  override readonly name = 'CorruptStateError';
  constructor(
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(
      `The local cloud's state file ${file} is corrupt (${(options?.cause as Error | undefined)?.message ?? 'unreadable'}). ` +
        `Start from empty state with --reset (deletes every local resource), or move the file aside (mv ${file} ${file}.bad) to drop only its service's state.`,
      options,
    );
  }
}

/** Turns a listen() failure into a PortInUseError naming the flag; other errors pass through. */
export function portError(error: unknown, role: string, port: number, flag: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES'
    ? new PortInUseError(role, port, flag, { cause: error })
    : error;
}
