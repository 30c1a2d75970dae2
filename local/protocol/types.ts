import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../clock';
import type { FaultEngine } from '../faults';

/** One HTTP request as a local service sees it (body fully read). */
export interface LocalRequest {
  readonly method: string;
  /** Decoded path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case header names, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Request id given to the client in `x-amzn-requestid`. */
  readonly requestId: string;
}

/** What a local service answers. */
export interface LocalResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

/** Facts and shared machinery every service operation may use. */
export interface ServiceContext {
  readonly region: string;
  readonly accountId: string;
  readonly clock: Clock;
  readonly faults: FaultEngine;
}

/** A local emulation of one AWS service on its wire protocol. */
export interface LocalService {
  /** Short id used in fault operation names and logs, e.g. `SageMaker`. */
  readonly id: string;
  /** True when this request is for this service (by X-Amz-Target, path, or form Action). */
  matches(req: LocalRequest): boolean;
  handle(req: LocalRequest): Promise<LocalResponse>;
}
