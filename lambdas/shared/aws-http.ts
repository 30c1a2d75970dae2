import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A minimal signed-HTTP client for AWS APIs, for the inference proxy's hot path. A full SDK v3 client
 * costs the proxy about 0.2 s of cold start (loading and first-call setup; see bench/RESULTS.md);
 * this makes the same requests, signed by the SDK's own SigV4 signer, with credentials, region and
 * endpoint read from the same environment the SDK reads (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL). Errors come back shaped
 * like SDK errors (`name` = AWS error code, `message`, `$metadata.httpStatusCode`, extra body fields),
 * so callers map them the same way. Use the SDK everywhere else.
 */

/** Which AWS API to call: SigV4 signing name, SDK endpoint env suffix and default host. */
export interface AwsApi {
  /** SigV4 service name, e.g. `sagemaker` (SageMaker Runtime signs as sagemaker). */
  readonly signingName: string;
  /** Suffix of AWS_ENDPOINT_URL_<X>, e.g. `SAGEMAKER_RUNTIME`. */
  readonly endpointEnv: string;
  /** Default host in a region, e.g. `runtime.sagemaker.us-east-1.amazonaws.com`. */
  readonly host: (region: string, dnsSuffix: string) => string;
}

/** SageMaker Runtime (InvokeEndpoint). */
export const SAGEMAKER_RUNTIME: AwsApi = {
  signingName: 'sagemaker',
  endpointEnv: 'SAGEMAKER_RUNTIME',
  host: (region, dns) => `runtime.sagemaker.${region}.${dns}`,
};

/** SSM (awsJson1_1). */
export const SSM: AwsApi = {
  signingName: 'ssm',
  endpointEnv: 'SSM',
  host: (region, dns) => `ssm.${region}.${dns}`,
};

/** One request: path (already URI-encoded), headers, body. */
export interface AwsHttpRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly signal?: AbortSignal;
}

/** A response: status, lower-case headers, body bytes. */
export interface AwsHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** An AWS error answer, shaped like the SDK's service exceptions. */
export class AwsHttpError extends Error {
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId?: string };
  readonly $fault: 'client' | 'server';

  constructor(
    code: string,
    message: string,
    status: number,
    requestId: string | undefined,
    fields: Record<string, unknown>,
  ) {
    super(message);
    this.name = code;
    this.$metadata =
      requestId === undefined ? { httpStatusCode: status } : { httpStatusCode: status, requestId };
    this.$fault = status >= 500 ? 'server' : 'client';
    Object.assign(this, fields);
  }
}

let httpAgent: HttpAgent | undefined;
let httpsAgent: HttpsAgent | undefined;
const signers = new Map<string, SignatureV4>();

/** Sends a signed request and returns the answer; non-2xx answers throw AwsHttpError. */
export async function awsRequest(api: AwsApi, req: AwsHttpRequest): Promise<AwsHttpResponse> {
  const env = process.env;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') throw new Error('AWS_REGION is not set');
  const base = new URL(
    env[`AWS_ENDPOINT_URL_${api.endpointEnv}`] ??
      env.AWS_ENDPOINT_URL ??
      `https://${api.host(region, region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com')}`,
  );
  const signer = signerFor(api, region);
  const basePath = base.pathname.replace(/\/+$/, '');
  const host = base.host;
  const signed = await signer.sign({
    method: req.method,
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port === '' ? {} : { port: Number(base.port) }),
    path: `${basePath}${req.path}`,
    query: {},
    headers: { ...req.headers, host },
    body: req.body,
  });
  const response = await send(base, signed.path, signed.headers, req.body, req.signal, true);
  if (response.status < 200 || response.status >= 300) throw errorFrom(response);
  return response;
}

function signerFor(api: AwsApi, region: string): SignatureV4 {
  const key = `${api.signingName}/${region}`;
  let signer = signers.get(key);
  if (signer === undefined) {
    signer = new SignatureV4({
      service: api.signingName,
      region,
      sha256: Sha256,
      // Read per request: Lambda refreshes the environment's credentials between invocations.
      credentials: () => {
        const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
        const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
        if (accessKeyId === undefined || secretAccessKey === undefined) {
          return Promise.reject(
            new Error('No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)'),
          );
        }
        const sessionToken = process.env.AWS_SESSION_TOKEN;
        return Promise.resolve(
          sessionToken === undefined || sessionToken === ''
            ? { accessKeyId, secretAccessKey }
            : { accessKeyId, secretAccessKey, sessionToken },
        );
      },
    });
    signers.set(key, signer);
  }
  return signer;
}

function send(
  base: URL,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  signal: AbortSignal | undefined,
  retryReset: boolean,
): Promise<AwsHttpResponse> {
  const https = base.protocol === 'https:';
  const options = {
    method: 'POST',
    host: base.hostname,
    port: base.port === '' ? (https ? 443 : 80) : Number(base.port),
    path,
    headers: { ...headers, 'content-length': String(body.byteLength) },
    agent: https
      ? (httpsAgent ??= new HttpsAgent({ keepAlive: true }))
      : (httpAgent ??= new HttpAgent({ keepAlive: true })),
    ...(signal === undefined ? {} : { signal }),
  };
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server had already closed: the request never reached it, send it once more.
      if (retryReset && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
        send(base, path, headers, body, signal, false).then(resolve, reject);
        return;
      }
      reject(error);
    });
    req.end(body);
  });
}

/** Builds the SDK-shaped error of a non-2xx answer (restJson and awsJson forms). */
export function errorFrom(res: AwsHttpResponse): AwsHttpError {
  let fields: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(res.body.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object') fields = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the status says it all.
  }
  const header = res.headers['x-amzn-errortype'];
  const type =
    header ??
    (typeof fields.__type === 'string'
      ? fields.__type
      : typeof fields.code === 'string'
        ? fields.code
        : undefined);
  const code =
    type === undefined
      ? res.status >= 500
        ? 'InternalFailure'
        : 'UnknownError'
      : ((type.split(':')[0] ?? type).split('#').pop() ?? type);
  const message =
    [fields.message, fields.Message, fields.errorMessage].find((m): m is string => typeof m === 'string') ??
    `HTTP ${res.status}`;
  const { __type: _t, message: _m, Message: _M, ...rest } = fields;
  return new AwsHttpError(code, message, res.status, res.headers['x-amzn-requestid'], rest);
}

/** What the signer hashes (as @smithy/types defines it). */
type SourceData = string | ArrayBuffer | ArrayBufferView;

/** SHA-256 / HMAC-SHA-256 over node:crypto, in the shape the SigV4 signer expects. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function bytes(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}
