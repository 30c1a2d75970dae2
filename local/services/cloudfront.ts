import { randomInt } from 'node:crypto';
import { applyFault } from '../faults';
import { AwsError } from '../protocol/errors';
import { queryError, xmlEscape } from '../protocol/query';
import { matchRoute, type RestRoute } from '../protocol/rest';
import type { LocalRequest, LocalResponse, LocalService, ServiceContext } from '../protocol/types';
import { child, parseXml } from '../protocol/xml';
import { JsonStore } from '../store';

/**
 * CloudFront invalidations (restXml under `/2020-05-31/distribution/{Id}/invalidation`): create (201 +
 * Location), get, list. An invalidation is InProgress for a scaled delay, then Completed (computed
 * from its timestamps). Listeners hear of each new invalidation at once, so the edge drops its cached
 * answers the moment CloudFront would start doing so. Distributions are registered by service
 * provisioning, not through the API.
 */

/** CloudFront's XML namespace. */
export const CLOUDFRONT_NAMESPACE = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
/** AWS seconds an invalidation stays InProgress. */
export const INVALIDATION_SECONDS = 60;
const MAX_PATHS = 3000;

/** A distribution the emulator knows. */
export interface DistributionRecord {
  readonly id: string;
  readonly service: string;
  readonly createdAt: string;
}

/** A stored invalidation. */
export interface InvalidationRecord {
  readonly id: string;
  readonly distributionId: string;
  readonly callerReference: string;
  readonly paths: readonly string[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly completesAt: number;
}

interface CloudFrontState {
  distributions: Record<string, DistributionRecord>;
  invalidations: InvalidationRecord[];
}

/** Called with each new invalidation's distribution and paths. */
export type InvalidationListener = (distributionId: string, paths: readonly string[]) => void;

type Handler = (req: LocalRequest, params: Record<string, string>) => LocalResponse;

/** The emulated CloudFront (invalidations only). */
export class CloudFrontEmulator {
  /** The restXml service for the AWS API port. */
  readonly service: LocalService;
  private readonly store: JsonStore<CloudFrontState>;
  private readonly listeners: InvalidationListener[] = [];
  private readonly routes: readonly RestRoute<Handler>[];

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
  ) {
    this.store = new JsonStore<CloudFrontState>(file, () => ({ distributions: {}, invalidations: [] }));
    const base = '/2020-05-31/distribution/{DistributionId}/invalidation';
    this.routes = [
      {
        method: 'POST',
        pattern: base,
        operation: 'CreateInvalidation',
        handler: (r, p) => this.createInvalidation(r, p),
      },
      {
        method: 'GET',
        pattern: `${base}/{Id}`,
        operation: 'GetInvalidation',
        handler: (_r, p) => this.getInvalidation(p),
      },
      {
        method: 'GET',
        pattern: base,
        operation: 'ListInvalidations',
        handler: (r, p) => this.listInvalidations(r, p),
      },
    ];
    this.service = {
      id: 'CloudFront',
      matches: (req) => req.path.startsWith('/2020-05-31/'),
      handle: (req) => this.handle(req),
    };
  }

  private async handle(req: LocalRequest): Promise<LocalResponse> {
    try {
      const found = matchRoute(this.routes, req);
      if (found === undefined) {
        throw new AwsError(
          'UnknownOperationException',
          `The local cloud emulates only CloudFront invalidations; got ${req.method} ${req.path} (see local/SUPPORT.md).`,
        );
      }
      await applyFault(this.ctx, `CloudFront.${found.route.operation}`, { ...found.params });
      return found.route.handler(req, found.params);
    } catch (error) {
      const out = queryError(error, req.requestId);
      return {
        ...out,
        body: String(out.body).replace('<ErrorResponse>', `<ErrorResponse xmlns="${CLOUDFRONT_NAMESPACE}">`),
      };
    }
  }

  /** Makes a distribution known (service provisioning). Idempotent. */
  registerDistribution(id: string, service: string): void {
    if (this.store.state.distributions[id] !== undefined) return;
    this.store.mutate((s) => {
      s.distributions[id] = { id, service, createdAt: this.ctx.clock.now().toISOString() };
    });
  }

  /** Registers a listener for new invalidations. */
  onInvalidation(listener: InvalidationListener): void {
    this.listeners.push(listener);
  }

  private distribution(params: Record<string, string>): string {
    const id = params.DistributionId ?? '';
    if (this.store.state.distributions[id] === undefined) {
      throw new AwsError('NoSuchDistribution', 'The specified distribution does not exist.', 404);
    }
    return id;
  }

  private createInvalidation(req: LocalRequest, params: Record<string, string>): LocalResponse {
    const distributionId = this.distribution(params);
    if (req.body.length === 0) throw new AwsError('MissingBody', 'The request body is missing.');
    const batch = parseXml(req.body.toString('utf8'));
    const paths = child(batch, 'Paths');
    const callerReference = child(batch, 'CallerReference')?.text ?? '';
    if (paths === undefined || callerReference === '') {
      throw new AwsError('InvalidArgument', 'InvalidationBatch needs Paths and a CallerReference.');
    }
    const items = (child(paths, 'Items')?.children ?? []).filter((c) => c.name === 'Path').map((c) => c.text);
    const quantity = Number(child(paths, 'Quantity')?.text ?? NaN);
    if (quantity !== items.length) {
      throw new AwsError(
        'InconsistentQuantities',
        "The value of Quantity and the size of Items don't match.",
      );
    }
    if (items.length === 0 || items.some((p) => !p.startsWith('/'))) {
      throw new AwsError('InvalidArgument', 'Your request contains one or more invalid invalidation paths.');
    }
    if (items.length > MAX_PATHS)
      throw new AwsError('BatchTooLarge', 'Invalidation batch specified is too large.', 413);
    const existing = this.store.state.invalidations.find(
      (i) => i.distributionId === distributionId && i.callerReference === callerReference,
    );
    if (existing !== undefined) {
      // The same batch again is the same invalidation; a different batch under the same reference is refused.
      if (JSON.stringify(existing.paths) !== JSON.stringify(items)) {
        throw new AwsError(
          'InvalidationBatchAlreadyExists',
          'The CallerReference that you are using to create an invalidation batch was already used with a different batch.',
        );
      }
      return this.invalidationAnswer(existing, 201);
    }
    const now = this.ctx.clock.now().getTime();
    const record: InvalidationRecord = {
      id: newInvalidationId(),
      distributionId,
      callerReference,
      paths: items,
      createdAt: now,
      completesAt: now + this.ctx.clock.scaledMs(INVALIDATION_SECONDS),
    };
    this.store.mutate((s) => {
      s.invalidations.push(record);
    });
    for (const listener of this.listeners) listener(distributionId, items);
    return this.invalidationAnswer(record, 201);
  }

  private getInvalidation(params: Record<string, string>): LocalResponse {
    const distributionId = this.distribution(params);
    const record = this.store.state.invalidations.find(
      (i) => i.distributionId === distributionId && i.id === params.Id,
    );
    if (record === undefined)
      throw new AwsError('NoSuchInvalidation', 'The specified invalidation does not exist.', 404);
    return this.invalidationAnswer(record, 200);
  }

  private listInvalidations(req: LocalRequest, params: Record<string, string>): LocalResponse {
    const distributionId = this.distribution(params);
    const maxItems = Math.min(1000, Math.max(1, Number(req.query.get('MaxItems') ?? 100) || 100));
    const marker = req.query.get('Marker') ?? '';
    const all = this.store.state.invalidations
      .filter((i) => i.distributionId === distributionId)
      .sort((a, b) => b.createdAt - a.createdAt);
    const from = marker === '' ? 0 : all.findIndex((i) => i.id === marker) + 1;
    const page = all.slice(from, from + maxItems);
    const truncated = from + maxItems < all.length;
    const last = page[page.length - 1];
    const now = this.ctx.clock.now().getTime();
    const summaries = page
      .map(
        (i) =>
          `<InvalidationSummary><Id>${i.id}</Id><CreateTime>${new Date(i.createdAt).toISOString()}</CreateTime>` +
          `<Status>${statusOf(i, now)}</Status></InvalidationSummary>`,
      )
      .join('');
    return xmlAnswer(
      200,
      `<InvalidationList xmlns="${CLOUDFRONT_NAMESPACE}"><Marker>${xmlEscape(marker)}</Marker>` +
        `${truncated && last !== undefined ? `<NextMarker>${last.id}</NextMarker>` : ''}<MaxItems>${maxItems}</MaxItems>` +
        `<IsTruncated>${truncated}</IsTruncated><Quantity>${page.length}</Quantity>` +
        `${page.length > 0 ? `<Items>${summaries}</Items>` : ''}</InvalidationList>`,
    );
  }

  private invalidationAnswer(record: InvalidationRecord, status: 200 | 201): LocalResponse {
    const now = this.ctx.clock.now().getTime();
    const body =
      `<Invalidation xmlns="${CLOUDFRONT_NAMESPACE}"><Id>${record.id}</Id><Status>${statusOf(record, now)}</Status>` +
      `<CreateTime>${new Date(record.createdAt).toISOString()}</CreateTime><InvalidationBatch><Paths>` +
      `<Quantity>${record.paths.length}</Quantity><Items>${record.paths.map((p) => `<Path>${xmlEscape(p)}</Path>`).join('')}</Items>` +
      `</Paths><CallerReference>${xmlEscape(record.callerReference)}</CallerReference></InvalidationBatch></Invalidation>`;
    const location = `https://cloudfront.amazonaws.com/2020-05-31/distribution/${record.distributionId}/invalidation/${record.id}`;
    return xmlAnswer(status, body, status === 201 ? { location } : {});
  }

  /** Distributions and invalidations with their current status. */
  inventory(): Record<string, unknown> {
    const now = this.ctx.clock.now().getTime();
    return {
      distributions: Object.values(this.store.state.distributions),
      invalidations: this.store.state.invalidations.map((i) => ({
        id: i.id,
        distributionId: i.distributionId,
        paths: i.paths,
        status: statusOf(i, now),
        createdAt: new Date(i.createdAt).toISOString(),
      })),
    };
  }

  /** Empties the store (listeners stay registered). */
  reset(): void {
    this.store.reset();
  }
}

function statusOf(record: InvalidationRecord, now: number): 'InProgress' | 'Completed' {
  return now < record.completesAt ? 'InProgress' : 'Completed';
}

function xmlAnswer(status: number, body: string, headers: Record<string, string> = {}): LocalResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', ...headers },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A CloudFront-looking invalidation id: `I` and 13 uppercase letters or digits. */
function newInvalidationId(): string {
  return `I${Array.from({ length: 13 }, () => ID_ALPHABET.charAt(randomInt(ID_ALPHABET.length))).join('')}`;
}
