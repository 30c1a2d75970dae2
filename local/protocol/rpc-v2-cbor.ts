import { applyFault } from '../faults';
import { decodeContent, queryErrorHeader, toAwsError, type JsonOperation } from './aws-json';
import { decodeCbor, encodeCbor } from './cbor';
import { AwsError } from './errors';
import type { LocalResponse, LocalService, ServiceContext } from './types';

/** Options of a service on Smithy RPC v2 CBOR (what botocore, hence the AWS CLI, speaks to CloudWatch). */
export interface RpcV2CborServiceOptions {
  /** Service id used in fault names (same as the service's awsJson front). */
  readonly id: string;
  /** Smithy service name in the path, e.g. `GraniteServiceVersion20100801`. */
  readonly serviceName: string;
  /** Namespace of error shape ids, e.g. `com.amazonaws.cloudwatch`. */
  readonly errorNamespace: string;
  readonly operations: Readonly<Record<string, JsonOperation>>;
  readonly ctx: ServiceContext;
  /** Output members that are timestamps (written as CBOR tag 1). */
  readonly timestampMembers: readonly string[];
  /** As JsonServiceOptions.queryErrorCodes. @default undefined (not query-compatible) */
  readonly queryErrorCodes?: Readonly<Record<string, string>>;
}

/**
 * Builds a LocalService speaking Smithy RPC v2 CBOR: `POST /service/<Service>/operation/<Operation>` with
 * `smithy-protocol: rpc-v2-cbor` and CBOR bodies. It runs the same operations as the service's awsJson
 * front (inputs decode to the same shapes), so the SDK and the CLI see one service.
 */
export function rpcV2CborService(options: RpcV2CborServiceOptions): LocalService {
  const prefix = `/service/${options.serviceName}/operation/`;
  const timestamps = new Set(options.timestampMembers);
  const headers = { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' };
  return {
    id: options.id,
    matches: (req) => req.method === 'POST' && req.path.startsWith(prefix),
    async handle(req) {
      const operation = req.path.slice(prefix.length);
      try {
        const op = options.operations[operation];
        if (op === undefined) {
          throw new AwsError(
            'UnknownOperationException',
            `The local cloud does not emulate ${options.id}.${operation} (see local/SUPPORT.md).`,
          );
        }
        const input = decodeCbor(decodeContent(req));
        if (input === null || typeof input !== 'object' || Array.isArray(input)) {
          throw new AwsError('SerializationException', 'Request body must be a CBOR map.');
        }
        await applyFault(options.ctx, `${options.id}.${operation}`, input);
        const output = await op(input as Record<string, unknown>, req);
        return { status: 200, headers, body: encodeCbor(output ?? {}, timestamps) };
      } catch (error) {
        return cborError(error, options, headers);
      }
    },
  };
}

function cborError(
  error: unknown,
  options: RpcV2CborServiceOptions,
  headers: Readonly<Record<string, string>>,
): LocalResponse {
  const aws = toAwsError(error);
  return {
    status: aws.status,
    headers: {
      ...headers,
      ...(options.queryErrorCodes === undefined
        ? {}
        : { 'x-amzn-query-error': queryErrorHeader(aws.code, aws.status, options.queryErrorCodes) }),
    },
    body: encodeCbor({
      __type: `${options.errorNamespace}#${aws.code}`,
      message: aws.message,
      ...aws.fields,
    }),
  };
}
