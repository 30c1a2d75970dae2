import { randomUUID } from 'node:crypto';
import { JsonStore } from '../../store';
import { functionNotFound, revisionMismatch, updateInProgress } from './lambda-errors';

/** The part of a function's configuration an update can change. */
export interface FunctionSettings {
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly role: string;
}

/** Where a configuration update stands (Lambda's LastUpdateStatus and the emulation's pending outcome). */
export type LastUpdate =
  | { readonly status: 'Successful' }
  | { readonly status: 'Failed'; readonly reason: string; readonly reasonCode: string }
  | {
      readonly status: 'InProgress';
      /** Epoch ms when the update settles. */
      readonly completesAtMs: number;
      /** A declared `Lambda.ConfigUpdate` fault makes it end Failed. */
      readonly failure?: { readonly reason: string; readonly reasonCode: string };
    };

/** One function as stored. */
export interface FunctionRecord {
  readonly name: string;
  readonly arn: string;
  /** Bundle id (folder under bundles/). */
  readonly codeId: string;
  readonly codeSha256: string;
  readonly codeSize: number;
  /** The configuration as GetFunctionConfiguration shows it (the latest update, even while InProgress). */
  readonly settings: FunctionSettings;
  readonly revisionId: string;
  /** The configuration new invocations run with: the previous one until an update is Successful. */
  readonly active: FunctionSettings;
  readonly activeRevisionId: string;
  /** Lambda's format, e.g. `2025-01-31T12:00:00.000+0000`. */
  readonly lastModified: string;
  readonly lastUpdate: LastUpdate;
}

/** What registering a function gives. */
export interface FunctionDefinition {
  readonly name: string;
  readonly codeId: string;
  readonly codeSha256: string;
  readonly codeSize: number;
  readonly settings: FunctionSettings;
}

/** Requested configuration changes (already validated). */
export type SettingsChanges = Partial<FunctionSettings>;

interface State {
  functions: Record<string, FunctionRecord>;
}

/**
 * Lambda's function state: configurations, revisions and the asynchronous update lifecycle. An update
 * is InProgress until `completesAtMs`, then Successful (the new configuration becomes active) or Failed
 * (the previous one stays). The transition is applied lazily on every read, so no timer is needed and
 * a restart picks up where the last process stopped.
 */
export class FunctionStore {
  private readonly store: JsonStore<State>;

  constructor(
    file: string | null,
    private readonly arnOf: (name: string) => string,
    private readonly now: () => number = Date.now,
  ) {
    this.store = new JsonStore<State>(file, () => ({ functions: {} }));
  }

  /** The function (with any due update settled), or undefined. */
  find(name: string): FunctionRecord | undefined {
    const record = this.store.state.functions[name];
    if (record === undefined) return undefined;
    return this.settle(record);
  }

  /** The function, or ResourceNotFoundException. */
  get(name: string): FunctionRecord {
    const record = this.find(name);
    if (record === undefined) throw functionNotFound(this.arnOf(name));
    return record;
  }

  /** All functions, by name. */
  list(): FunctionRecord[] {
    return Object.keys(this.store.state.functions)
      .sort()
      .map((name) => this.get(name));
  }

  /**
   * Creates a function, or refreshes an existing one's code. `keepSettings` keeps an existing
   * function's configuration (a proxy whose ENDPOINT_NAME a rollout set); otherwise the definition's
   * settings are applied, as a deploy would, without a new revision when nothing changed.
   */
  register(definition: FunctionDefinition, keepSettings: boolean): FunctionRecord {
    return this.store.mutate((state) => {
      const existing = state.functions[definition.name];
      const stamp = lambdaTimestamp(new Date(this.now()));
      if (existing === undefined) {
        const revisionId = randomUUID();
        const record: FunctionRecord = {
          name: definition.name,
          arn: this.arnOf(definition.name),
          codeId: definition.codeId,
          codeSha256: definition.codeSha256,
          codeSize: definition.codeSize,
          settings: definition.settings,
          revisionId,
          active: definition.settings,
          activeRevisionId: revisionId,
          lastModified: stamp,
          lastUpdate: { status: 'Successful' },
        };
        state.functions[definition.name] = record;
        return record;
      }
      const codeChanged =
        existing.codeSha256 !== definition.codeSha256 || existing.codeId !== definition.codeId;
      const settingsChanged = !keepSettings && !sameSettings(existing.active, definition.settings);
      if (!codeChanged && !settingsChanged) return existing;
      const settings = keepSettings ? existing.settings : definition.settings;
      const revisionId = randomUUID();
      const record: FunctionRecord = {
        ...existing,
        codeId: definition.codeId,
        codeSha256: definition.codeSha256,
        codeSize: definition.codeSize,
        settings,
        revisionId,
        active: keepSettings ? existing.active : settings,
        activeRevisionId:
          keepSettings && existing.lastUpdate.status === 'InProgress'
            ? existing.activeRevisionId
            : revisionId,
        lastModified: stamp,
      };
      state.functions[definition.name] = record;
      return record;
    });
  }

  /**
   * Starts a configuration update: ResourceConflictException while one is InProgress,
   * PreconditionFailedException when `revisionId` is not the latest.
   */
  update(
    name: string,
    changes: SettingsChanges,
    options: {
      readonly revisionId?: string;
      readonly durationMs: number;
      readonly failure?: { readonly reason: string; readonly reasonCode: string };
    },
  ): FunctionRecord {
    const current = this.get(name);
    if (current.lastUpdate.status === 'InProgress') throw updateInProgress(current.arn);
    if (options.revisionId !== undefined && options.revisionId !== current.revisionId)
      throw revisionMismatch();
    return this.store.mutate((state) => {
      const record: FunctionRecord = {
        ...current,
        settings: { ...current.settings, ...changes },
        revisionId: randomUUID(),
        lastModified: lambdaTimestamp(new Date(this.now())),
        lastUpdate: {
          status: 'InProgress',
          completesAtMs: this.now() + options.durationMs,
          ...(options.failure === undefined ? {} : { failure: options.failure }),
        },
      };
      state.functions[name] = record;
      return record;
    });
  }

  /** Forgets every function. */
  reset(): void {
    this.store.reset();
  }

  private settle(record: FunctionRecord): FunctionRecord {
    const update = record.lastUpdate;
    if (update.status !== 'InProgress' || this.now() < update.completesAtMs) return record;
    return this.store.mutate((state) => {
      const settled: FunctionRecord =
        update.failure === undefined
          ? {
              ...record,
              active: record.settings,
              activeRevisionId: record.revisionId,
              lastUpdate: { status: 'Successful' },
            }
          : {
              ...record,
              // A failed update leaves the function as it was before it.
              settings: record.active,
              revisionId: randomUUID(),
              lastUpdate: { status: 'Failed', ...update.failure },
            };
      state.functions[record.name] = settled;
      return settled;
    });
  }
}

/** Lambda's LastModified format: ISO 8601 with `+0000` instead of `Z`. */
export function lambdaTimestamp(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

function sameSettings(a: FunctionSettings, b: FunctionSettings): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(s: FunctionSettings): unknown {
  return {
    ...s,
    environment: Object.fromEntries(Object.entries(s.environment).sort(([x], [y]) => x.localeCompare(y))),
  };
}
