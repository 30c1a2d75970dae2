import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A loopback stand-in for SageMaker Runtime and SSM at the HTTP boundary, for code that calls them
 * through lambdas/shared/aws-http.ts. Each route records its calls and answers from a queue of
 * one-off answers, then a default one, much like aws-sdk-client-mock does for SDK clients. Every
 * request's SigV4 signature is recomputed from what arrived and recorded as `signatureValid`.
 */

/** What a route answers: a success body, an AWS error, or the connection dropped. */
export type WireAnswer =
  | {
      readonly kind: 'ok';
      readonly status?: number;
      readonly headers?: Record<string, string>;
      readonly body: Buffer | string;
    }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly type?: string;
      readonly message: string;
      readonly fields?: Record<string, unknown>;
    }
  | { readonly kind: 'drop' };

/** An AWS error answer (`x-amzn-errortype` + JSON message, as restJson and awsJson services send). */
export function wireError(
  type: string | undefined,
  message: string,
  status: number,
  fields: Record<string, unknown> = {},
): WireAnswer {
  return type === undefined
    ? { kind: 'error', status, message, fields }
    : { kind: 'error', status, type, message, fields };
}

/** One recorded request. */
interface Recorded {
  readonly signatureValid: boolean;
}

/** A recorded InvokeEndpoint call, with the SDK's field names. */
export interface InvokeCall extends Recorded {
  readonly EndpointName: string;
  readonly Body: Buffer;
  readonly ContentType: string | undefined;
  readonly Accept: string | undefined;
  readonly CustomAttributes: string | undefined;
}

/** A recorded SSM call. */
export interface SsmCall extends Recorded {
  readonly target: string;
  readonly input: unknown;
}

type Responder = () => WireAnswer | Promise<WireAnswer>;

/** One API of the fake, programmed like aws-sdk-client-mock. */
export class FakeRoute<Call> {
  readonly calls: Call[] = [];
  private readonly once: Responder[] = [];
  private fallback: Responder = () => wireError('InternalFailure', 'no answer programmed in the test', 500);

  /** Answers every call with this success. */
  resolves(answer: WireAnswer): this {
    this.fallback = () => answer;
    return this;
  }
  /** Answers the next call with this success. */
  resolvesOnce(answer: WireAnswer): this {
    this.once.push(() => answer);
    return this;
  }
  /** Answers every call with this error. */
  rejects(answer: WireAnswer): this {
    return this.resolves(answer);
  }
  /** Answers the next call with this error. */
  rejectsOnce(answer: WireAnswer): this {
    return this.resolvesOnce(answer);
  }
  /** Answers every call with what `fn` produces (e.g. after a delay). */
  callsFake(fn: Responder): this {
    this.fallback = fn;
    return this;
  }
  /** Forgets calls and answers. */
  reset(): void {
    this.calls.length = 0;
    this.once.length = 0;
    this.fallback = () => wireError('InternalFailure', 'no answer programmed in the test', 500);
  }
  /** The answer for the next call. */
  next(): Promise<WireAnswer> {
    return Promise.resolve((this.once.shift() ?? this.fallback)());
  }
}

/** A JSON success answer. */
export function okJson(value: unknown): WireAnswer {
  return {
    kind: 'ok',
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(value),
  };
}

const CREDENTIALS = {
  accessKeyId: 'AKIDTEST',
  secretAccessKey: 'secret-for-tests',
  sessionToken: 'session-token',
};
const REGION = 'us-east-1';

/** The fake server. */
export class FakeAwsHttp {
  readonly invoke = new FakeRoute<InvokeCall>();
  readonly ssm = new FakeRoute<SsmCall>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts on a free loopback port. */
  static async start(): Promise<FakeAwsHttp> {
    const holder: { fake?: FakeAwsHttp } = {};
    const server = createServer((req, res) => void holder.fake?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.fake = new FakeAwsHttp(server, `http://127.0.0.1:${port}`);
    return holder.fake;
  }

  /** The environment that points lambdas/shared/aws-http.ts at this fake. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    };
  }

  reset(): void {
    this.invoke.reset();
    this.ssm.reset();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = req.url ?? '/';
    const signatureValid = await verifySignature(req, url, body);
    const invoke = /^\/endpoints\/([^/]+)\/invocations$/.exec(url);
    let answer: WireAnswer;
    let protocol: 'rest' | 'json';
    if (invoke?.[1] !== undefined && req.method === 'POST') {
      this.invoke.calls.push({
        EndpointName: decodeURIComponent(invoke[1]),
        Body: body,
        ContentType: req.headers['content-type'],
        Accept: req.headers.accept,
        CustomAttributes: header(req, 'x-amzn-sagemaker-custom-attributes'),
        signatureValid,
      });
      answer = await this.invoke.next();
      protocol = 'rest';
    } else if (
      url === '/' &&
      typeof req.headers['x-amz-target'] === 'string' &&
      req.headers['x-amz-target'].startsWith('AmazonSSM.')
    ) {
      this.ssm.calls.push({
        target: req.headers['x-amz-target'],
        input: JSON.parse(body.toString('utf8')) as unknown,
        signatureValid,
      });
      answer = await this.ssm.next();
      protocol = 'json';
    } else {
      answer = wireError('UnknownOperationException', `fake has no route ${req.method ?? ''} ${url}`, 404);
      protocol = 'rest';
    }
    if (res.destroyed) return;
    if (answer.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (answer.kind === 'ok') {
      res.writeHead(answer.status ?? 200, answer.headers ?? {});
      res.end(answer.body);
      return;
    }
    const type = answer.type;
    const payload =
      protocol === 'json' && type !== undefined
        ? { __type: type, message: answer.message, ...answer.fields }
        : { message: answer.message, ...answer.fields };
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(type === undefined ? {} : { 'x-amzn-errortype': type }),
    });
    res.end(JSON.stringify(payload));
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Re-signs the request as received with the known credentials and compares the Authorization header. */
async function verifySignature(req: IncomingMessage, path: string, body: Buffer): Promise<boolean> {
  const auth = header(req, 'authorization');
  const amzDate = header(req, 'x-amz-date');
  if (auth === undefined || amzDate === undefined) return false;
  const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1];
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  if (service === undefined) return false;
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(req, name);
    if (value !== undefined) headers[name] = value;
  }
  const signer = new SignatureV4({ service, region: REGION, credentials: CREDENTIALS, sha256: TestSha256 });
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const host = headers.host ?? '';
  const resigned = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: host.split(':')[0] ?? host,
      path,
      query: {},
      headers,
      body,
    },
    { signingDate },
  );
  return resigned.headers.authorization === auth;
}

class TestSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data);
}
