import { applyFault } from '../faults';
import { AwsError } from '../protocol/errors';
import { matchPath, restJsonError } from '../protocol/rest';
import type { LocalRequest, LocalResponse, LocalService, ServiceContext } from '../protocol/types';
import { JsonStore } from '../store';
import { invokeHfContainer } from './hf-container';
import type { InvocationTarget, SageMakerEmulator } from './sagemaker';

/**
 * SageMaker Runtime (restJson, `POST /endpoints/{EndpointName}/invocations`): hands the request to the
 * endpoint's emulated HuggingFace container, or forwards it to a real inference server when the model's
 * environment names one (LOCAL_INFERENCE_URL), and answers as SageMaker Runtime does: the container's
 * raw body and content type on success, `ModelError` (424) with the container's status and message
 * otherwise, `ValidationError` for an endpoint that is not InService.
 */

/** Largest InvokeEndpoint body SageMaker accepts (6 MB). */
export const MAX_INVOKE_BODY_BYTES = 6 * 1024 * 1024;
/** Largest body a serverless endpoint accepts (4 MB, serverless inference's payload limit). */
export const MAX_SERVERLESS_BODY_BYTES = 4 * 1024 * 1024;
/** Longest Content-Type, Accept and CustomAttributes value InvokeEndpoint accepts (Header / CustomAttributesHeader: max 1024). */
export const MAX_INVOKE_HEADER_CHARS = 1024;
/** How long SageMaker waits for a container's answer (real seconds: a forwarded server is real). */
export const CONTAINER_TIMEOUT_MS = 60_000;

/** Per-endpoint invocation counters (what reached a container). */
export interface InvocationStats {
  readonly invocations: number;
  readonly modelErrors: number;
  readonly lastInvokedAt: string;
  /** Invocations refused with ThrottlingException past a serverless MaxConcurrency (absent: none). */
  readonly throttled?: number;
}

interface RuntimeState {
  endpoints: Record<string, InvocationStats>;
}

/** A container's HTTP answer, text or bytes. */
interface ContainerAnswer {
  readonly status: number;
  readonly body: string | Buffer;
  readonly contentType: string;
}

const INVOCATIONS_PATH = '/endpoints/{EndpointName}/invocations';

/** One InvokeEndpoint header member: its wire name, the member name SageMaker's messages use, whether its value is sensitive (never echoed). */
const LIMITED_HEADERS = [
  { header: 'content-type', member: 'contentType', sensitive: false },
  { header: 'accept', member: 'accept', sensitive: false },
  { header: 'x-amzn-sagemaker-custom-attributes', member: 'customAttributes', sensitive: true },
] as const;

/**
 * The constraint violations of InvokeEndpoint's header members, worded as SageMaker words them
 * (InvokeEndpoint reference: ContentType, Accept and CustomAttributes are at most 1024 characters of
 * pattern `\p{ASCII}*`; CustomAttributes is sensitive, so its value is not echoed).
 */
export function invokeHeaderViolations(values: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const { header, member, sensitive } of LIMITED_HEADERS) {
    const value = values[header];
    if (value === undefined) continue;
    const subject = sensitive ? `Value at '${member}'` : `Value '${value}' at '${member}'`;
    if (value.length > MAX_INVOKE_HEADER_CHARS) {
      out.push(
        `${subject} failed to satisfy constraint: Member must have length less than or equal to ${MAX_INVOKE_HEADER_CHARS}`,
      );
    }
    // eslint-disable-next-line no-control-regex -- the pattern is "any ASCII character", controls included
    if (/[^\x00-\x7f]/.test(value)) {
      out.push(
        `${subject} failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{ASCII}*`,
      );
    }
  }
  return out;
}

/** The emulated SageMaker Runtime. */
export class SageMakerRuntimeEmulator {
  /** The REST service for the AWS API port. */
  readonly service: LocalService;
  private readonly store: JsonStore<RuntimeState>;
  /** Invocations running now, per endpoint (a serverless endpoint admits at most MaxConcurrency). */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
    private readonly sagemaker: SageMakerEmulator,
  ) {
    this.store = new JsonStore<RuntimeState>(file, () => ({ endpoints: {} }));
    this.service = {
      id: 'SageMakerRuntime',
      matches: (req) => req.method === 'POST' && req.path.startsWith('/endpoints/'),
      handle: async (req) => {
        try {
          return await this.route(req);
        } catch (error) {
          return restJsonError(error);
        }
      },
    };
  }

  private async route(req: LocalRequest): Promise<LocalResponse> {
    const params = matchPath(INVOCATIONS_PATH, req.path);
    if (params?.EndpointName === undefined) {
      throw new AwsError(
        'UnknownOperationException',
        `The local cloud emulates only InvokeEndpoint (POST ${INVOCATIONS_PATH}) of SageMaker Runtime; got POST ${req.path} (see local/SUPPORT.md).`,
      );
    }
    return this.invokeEndpoint(params.EndpointName, req);
  }

  private async invokeEndpoint(endpointName: string, req: LocalRequest): Promise<LocalResponse> {
    if (req.body.length > MAX_INVOKE_BODY_BYTES) return tooLarge(MAX_INVOKE_BODY_BYTES);
    const contentType = header(req, 'content-type');
    const accept = header(req, 'accept');
    const customAttributes = header(req, 'x-amzn-sagemaker-custom-attributes');
    const violations = invokeHeaderViolations({
      'content-type': contentType,
      accept,
      'x-amzn-sagemaker-custom-attributes': customAttributes,
    });
    if (violations.length > 0) {
      const n = violations.length;
      throw new AwsError(
        'ValidationError',
        `${n} validation error${n === 1 ? '' : 's'} detected: ${violations.join('; ')}`,
      );
    }
    const input = {
      EndpointName: endpointName,
      ContentType: contentType,
      Accept: accept,
      CustomAttributes: customAttributes,
      TargetVariant: header(req, 'x-amzn-sagemaker-target-variant'),
      InferenceId: header(req, 'x-amzn-sagemaker-inference-id'),
      Body: req.body.length <= 65536 ? req.body.toString('utf8') : undefined,
    };
    const known = this.sagemaker.invocationTarget(endpointName);
    const maxConcurrency = known === undefined ? undefined : serverlessMaxConcurrency(known);
    if (maxConcurrency !== undefined && req.body.length > MAX_SERVERLESS_BODY_BYTES) {
      return tooLarge(MAX_SERVERLESS_BODY_BYTES);
    }
    // Admission: a serverless endpoint runs at most MaxConcurrency invocations at once and throttles
    // the rest (ProductionVariantServerlessConfig reference). A declared delay counts as time in the container.
    const key = endpointName.toLowerCase();
    const running = this.inFlight.get(key) ?? 0;
    if (maxConcurrency !== undefined && running >= maxConcurrency) {
      this.countThrottled(known?.endpointName ?? endpointName);
      return throttled();
    }
    this.inFlight.set(key, running + 1);
    try {
      return await this.invokeAdmitted(endpointName, req.body, input);
    } finally {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    }
  }

  private async invokeAdmitted(
    endpointName: string,
    body: Buffer,
    input: {
      readonly ContentType: string | undefined;
      readonly Accept: string | undefined;
      readonly [field: string]: unknown;
    },
  ): Promise<LocalResponse> {
    try {
      await applyFault(this.ctx, 'SageMakerRuntime.InvokeEndpoint', input);
    } catch (error) {
      throw error instanceof AwsError && error.code === 'ModelError'
        ? this.completeModelError(error, endpointName)
        : error;
    }
    const target = this.sagemaker.invocationTarget(endpointName);
    if (target === undefined) {
      throw new AwsError(
        'ValidationError',
        `Endpoint ${endpointName} of account ${this.ctx.accountId} not found.`,
      );
    }
    const answer = await this.runContainer(target, body, input.ContentType, input.Accept);
    const ok = answer.status >= 200 && answer.status < 300;
    this.count(target.endpointName, ok);
    if (!ok) throw this.modelError(target.endpointName, answer.status, answerText(answer.body));
    return {
      status: 200,
      headers: {
        'content-type': answer.contentType,
        'x-Amzn-Invoked-Production-Variant': target.variant.variantName,
      },
      body: answer.body,
    };
  }

  private async runContainer(
    target: InvocationTarget,
    body: Buffer,
    contentType: string | undefined,
    accept: string | undefined,
  ): Promise<ContainerAnswer> {
    const url = target.variant.environment.LOCAL_INFERENCE_URL;
    if (url !== undefined) return forward(url, body, contentType, accept);
    if (target.model === undefined) {
      // The endpoint went InService by a declared fault although its container cannot serve.
      return {
        status: 500,
        body: "The model failed to load; see the endpoint's FailureReason.",
        contentType: 'text/plain',
      };
    }
    return invokeHfContainer(target.model, { body, contentType, accept }, target.variant.environment);
  }

  private modelError(endpointName: string, status: number, original: string): AwsError {
    const kind = status >= 500 || status === 0 ? 'server' : 'client';
    const message =
      `Received ${kind} error (${status}) from primary with message "${original}". ` +
      `See https://${this.ctx.region}.console.aws.amazon.com/cloudwatch/home?region=${this.ctx.region}#logEventViewer:group=/aws/sagemaker/Endpoints/${endpointName} ` +
      `in account ${this.ctx.accountId} for more information.`;
    return new AwsError('ModelError', message, 424, {
      OriginalStatusCode: status,
      OriginalMessage: original,
      LogStreamArn: this.logStreamArn(endpointName),
    });
  }

  /** A declared ModelError fault gets the message and log stream SageMaker would give it. */
  private completeModelError(error: AwsError, endpointName: string): AwsError {
    const status =
      typeof error.fields.OriginalStatusCode === 'number' ? error.fields.OriginalStatusCode : 500;
    const original =
      typeof error.fields.OriginalMessage === 'string' ? error.fields.OriginalMessage : error.message;
    const complete = this.modelError(endpointName, status, original);
    const declaredMessage = !error.message.startsWith('Injected fault');
    return new AwsError('ModelError', declaredMessage ? error.message : complete.message, error.status, {
      ...complete.fields,
      ...error.fields,
    });
  }

  private logStreamArn(endpointName: string): string {
    return `arn:aws:logs:${this.ctx.region}:${this.ctx.accountId}:log-group:/aws/sagemaker/Endpoints/${endpointName}`;
  }

  private count(endpointName: string, ok: boolean): void {
    this.store.mutate((s) => {
      const before = s.endpoints[endpointName];
      s.endpoints[endpointName] = {
        ...before,
        invocations: (before?.invocations ?? 0) + 1,
        modelErrors: (before?.modelErrors ?? 0) + (ok ? 0 : 1),
        lastInvokedAt: this.ctx.clock.now().toISOString(),
      };
    });
  }

  private countThrottled(endpointName: string): void {
    this.store.mutate((s) => {
      const before = s.endpoints[endpointName];
      s.endpoints[endpointName] = {
        invocations: before?.invocations ?? 0,
        modelErrors: before?.modelErrors ?? 0,
        lastInvokedAt: before?.lastInvokedAt ?? this.ctx.clock.now().toISOString(),
        throttled: (before?.throttled ?? 0) + 1,
      };
    });
  }

  /** Invocation counters per endpoint name. */
  inventory(): Record<string, unknown> {
    return { invocations: { ...this.store.state.endpoints } };
  }

  /** Empties the counters. */
  reset(): void {
    this.store.reset();
  }
}

/** SageMaker's front end refuses a body over the limit without an error code (SDKs name it "Unknown"). */
function tooLarge(limit: number): LocalResponse {
  return {
    status: 413,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `HTTP content length exceeded ${limit} bytes.` }),
  };
}

/**
 * A serverless endpoint past its MaxConcurrency: SageMaker answers ThrottlingException with no
 * message (botocore prints "None").
 */
function throttled(): LocalResponse {
  return {
    status: 400,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException' },
    body: JSON.stringify({}),
  };
}

/** MaxConcurrency of the variant an invocation goes to, or undefined for an instance-backed variant. */
function serverlessMaxConcurrency(target: InvocationTarget): number | undefined {
  const value = target.variant.serverless?.MaxConcurrency;
  return typeof value === 'number' && value >= 1 ? Math.floor(value) : undefined;
}

function header(req: LocalRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function answerText(body: string | Buffer): string {
  return typeof body === 'string' ? body : body.toString('utf8');
}

/** Sends the request to a real inference server, as SageMaker sends it to a container's /invocations. */
async function forward(
  url: string,
  body: Buffer,
  contentType: string | undefined,
  accept: string | undefined,
): Promise<ContainerAnswer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: {
        ...(contentType === undefined ? {} : { 'content-type': contentType }),
        ...(accept === undefined ? {} : { accept }),
      },
      signal: AbortSignal.timeout(CONTAINER_TIMEOUT_MS),
    });
    return {
      status: response.status,
      body: Buffer.from(await response.arrayBuffer()),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    };
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
      return {
        status: 0,
        body:
          'Your invocation timed out while waiting for a response from container primary. Review the latency ' +
          'metrics for each container in Amazon CloudWatch, resolve the issue, and try again.',
        contentType: 'text/plain',
      };
    }
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return {
      status: 502,
      body: `Could not reach LOCAL_INFERENCE_URL ${url}: ${cause}`,
      contentType: 'text/plain',
    };
  }
}
