import { randomUUID } from 'node:crypto';
import { applyFault } from '../faults';
import { AwsError } from '../protocol/errors';
import { parseQueryBody, queryError, queryResponse } from '../protocol/query';
import type { LocalRequest, LocalResponse, LocalService, ServiceContext } from '../protocol/types';
import { JsonStore } from '../store';
import { paginate } from './pagination';

/**
 * SNS (awsQuery: form-encoded `Action=...&Version=2010-03-31`, XML answers): topics and publishes.
 * Published messages are kept (no subscriptions are delivered) so tests and the console can read them.
 */

/** SNS's XML namespace. */
export const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** How many published messages are kept (oldest dropped first). */
export const MAX_KEPT_MESSAGES = 1000;
const MAX_MESSAGE_BYTES = 262144;

/** A message attribute as published. */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** A published message. */
export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly messageAttributes: Readonly<Record<string, MessageAttribute>>;
  readonly publishedAt: string;
}

/** A topic. */
export interface TopicRecord {
  readonly arn: string;
  readonly name: string;
  readonly createdAt: string;
}

interface SnsState {
  topics: Record<string, TopicRecord>;
  messages: PublishedMessage[];
}

/** The emulated SNS. */
export class SnsEmulator {
  /** The awsQuery service for the AWS API port. */
  readonly service: LocalService;
  private readonly store: JsonStore<SnsState>;

  constructor(
    private readonly ctx: ServiceContext,
    file: string | null,
    /** Topics that exist from the start (and again after a reset): the project's stack creates them. */
    initialTopics: readonly string[],
  ) {
    this.store = new JsonStore<SnsState>(file, () => ({
      topics: Object.fromEntries(
        initialTopics.map((name) => {
          const arn = this.arn(name);
          return [arn, { arn, name, createdAt: new Date().toISOString() }];
        }),
      ),
      messages: [],
    }));
    this.service = {
      id: 'SNS',
      matches: (req) => isSnsRequest(req),
      handle: (req) => this.handle(req),
    };
  }

  /** ARN of a topic name in this account and region. */
  arn(name: string): string {
    return `arn:aws:sns:${this.ctx.region}:${this.ctx.accountId}:${name}`;
  }

  private async handle(req: LocalRequest): Promise<LocalResponse> {
    const form = parseQueryBody(req.body);
    const action = form.get('Action') ?? '';
    try {
      const operation = this.operations[action];
      if (operation === undefined) {
        throw new AwsError(
          'InvalidAction',
          `The local cloud does not emulate SNS.${action} (see local/SUPPORT.md).`,
        );
      }
      const input = Object.fromEntries(form.entries());
      await applyFault(this.ctx, `SNS.${action}`, input);
      return withNamespace(queryResponse(action, SNS_NAMESPACE, operation(form), req.requestId));
    } catch (error) {
      return withNamespace(queryError(error, req.requestId));
    }
  }

  private readonly operations: Readonly<Record<string, (form: URLSearchParams) => unknown>> = {
    CreateTopic: (form) => this.createTopic(form),
    ListTopics: (form) => this.listTopics(form),
    DeleteTopic: (form) => this.deleteTopic(form),
    Publish: (form) => this.publish(form),
  };

  private createTopic(form: URLSearchParams): unknown {
    const name = form.get('Name') ?? '';
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(name.replace(/\.fifo$/, ''))) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
    }
    const arn = this.arn(name);
    // CreateTopic is idempotent: an existing topic's ARN comes back.
    if (this.store.state.topics[arn] === undefined) {
      this.store.mutate((s) => {
        s.topics[arn] = { arn, name, createdAt: this.ctx.clock.now().toISOString() };
      });
    }
    return { TopicArn: arn };
  }

  private listTopics(form: URLSearchParams): unknown {
    const topics = Object.keys(this.store.state.topics).sort();
    const page = paginate(topics, 100, form.get('NextToken') ?? undefined, 'topics', () =>
      invalidParameter('NextToken'),
    );
    return {
      Topics: page.items.map((TopicArn) => ({ TopicArn })),
      ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
    };
  }

  private deleteTopic(form: URLSearchParams): unknown {
    const arn = form.get('TopicArn') ?? '';
    this.store.mutate((s) => {
      delete s.topics[arn];
    });
    return undefined;
  }

  private publish(form: URLSearchParams): unknown {
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
    if (topicArn === null) {
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    if (!/^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(topicArn)) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: TopicArn');
    }
    const message = form.get('Message');
    if (message === null || message === '') throw invalidParameter('Message');
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
    }
    const subject = form.get('Subject') ?? undefined;
    if (subject !== undefined && (subject.length > 100 || subject === '' || /[\r\n]/.test(subject))) {
      throw invalidParameter('Subject');
    }
    if (this.store.state.topics[topicArn] === undefined)
      throw new AwsError('NotFound', 'Topic does not exist', 404);
    const published: PublishedMessage = {
      messageId: randomUUID(),
      topicArn,
      ...(subject === undefined ? {} : { subject }),
      message,
      messageAttributes: messageAttributes(form),
      publishedAt: this.ctx.clock.now().toISOString(),
    };
    this.store.mutate((s) => {
      s.messages.push(published);
      if (s.messages.length > MAX_KEPT_MESSAGES) s.messages.splice(0, s.messages.length - MAX_KEPT_MESSAGES);
    });
    return { MessageId: published.messageId };
  }

  /**
   * Publishes on behalf of another AWS service (CloudWatch alarm actions): no wire request, no fault
   * rules (those apply to callers' Publish calls), the same store. Throws NotFound for a missing topic.
   */
  publishFromService(topicArn: string, subject: string, message: string): string {
    if (this.store.state.topics[topicArn] === undefined)
      throw new AwsError('NotFound', 'Topic does not exist', 404);
    const published: PublishedMessage = {
      messageId: randomUUID(),
      topicArn,
      subject: subject.slice(0, 100),
      message,
      messageAttributes: {},
      publishedAt: this.ctx.clock.now().toISOString(),
    };
    this.store.mutate((s) => {
      s.messages.push(published);
      if (s.messages.length > MAX_KEPT_MESSAGES) s.messages.splice(0, s.messages.length - MAX_KEPT_MESSAGES);
    });
    return published.messageId;
  }

  /** Published messages, oldest first. */
  messages(): readonly PublishedMessage[] {
    return this.store.state.messages;
  }

  /** Topics and published messages. */
  inventory(): Record<string, unknown> {
    return {
      topics: Object.keys(this.store.state.topics).sort(),
      messageCount: this.store.state.messages.length,
      messages: [...this.store.state.messages],
    };
  }

  /** Back to the initial topics and no messages. */
  reset(): void {
    this.store.reset();
  }
}

/** An SNS request: an awsQuery form with SNS's API version. */
function isSnsRequest(req: LocalRequest): boolean {
  const type = req.headers['content-type'] ?? '';
  if (req.method !== 'POST' || !type.startsWith('application/x-www-form-urlencoded')) return false;
  return parseQueryBody(req.body).get('Version') === '2010-03-31';
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` / `.Value.BinaryValue`. */
function messageAttributes(form: URLSearchParams): Record<string, MessageAttribute> {
  const out: Record<string, MessageAttribute> = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const prefix = `MessageAttributes.entry.${n}`;
    const name = form.get(`${prefix}.Name`) ?? '';
    const dataType = form.get(`${prefix}.Value.DataType`);
    if (dataType === null || !/^(String|Number|Binary|String\.Array)(\..+)?$/.test(dataType)) {
      throw new AwsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const stringValue = form.get(`${prefix}.Value.StringValue`);
    const binaryValue = form.get(`${prefix}.Value.BinaryValue`);
    out[name] = {
      DataType: dataType,
      ...(stringValue === null ? {} : { StringValue: stringValue }),
      ...(binaryValue === null ? {} : { BinaryValue: binaryValue }),
    };
  }
  return out;
}

function invalidParameter(name: string): AwsError {
  return new AwsError('InvalidParameter', `Invalid parameter: ${name}`);
}

/** SNS answers carry its namespace on the error document too. */
function withNamespace(out: LocalResponse): LocalResponse {
  return typeof out.body === 'string'
    ? { ...out, body: out.body.replace('<ErrorResponse>', `<ErrorResponse xmlns="${SNS_NAMESPACE}">`) }
    : out;
}
