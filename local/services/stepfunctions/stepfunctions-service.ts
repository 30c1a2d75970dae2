import { jsonService } from '../../protocol/aws-json';
import type { LocalService, ServiceContext } from '../../protocol/types';
import type { ExecutionRecord, HistoryEvent } from './execution-store';
import type { StateMachineInfo, StepFunctions } from './step-functions';
import { validation } from './stepfunctions-errors';

/**
 * Step Functions on its wire protocol (awsJson1_0, `X-Amz-Target: AWSStepFunctions.<Operation>`):
 * checks each operation's parameters, calls step-functions.ts and shapes the answers as the SDK reads
 * them (timestamps as epoch seconds). Declared faults apply as `StepFunctions.<Operation>`.
 */
export function stepFunctionsService(ctx: ServiceContext, sfn: StepFunctions): LocalService {
  return jsonService({
    id: 'StepFunctions',
    targetPrefix: 'AWSStepFunctions',
    protocol: '1.0',
    ctx,
    operations: {
      ListStateMachines: () => ({ stateMachines: sfn.listStateMachines().map(toListItem) }),
      DescribeStateMachine: (input) =>
        toDescription(sfn.describeStateMachine(requiredString(input, 'stateMachineArn'))),
      StartExecution: (input) => {
        const out = sfn.startExecution(startInput(input));
        return { executionArn: out.executionArn, startDate: seconds(out.startDate) };
      },
      StartSyncExecution: async (input) => {
        const record = await sfn.startSyncExecution(startInput(input));
        return {
          ...toExecutionDescription(record),
          billingDetails: {
            billedMemoryUsedInMB: 64,
            billedDurationInMilliseconds: Math.max(
              100,
              Math.ceil(((record.stopDate ?? Date.now()) - record.startDate) / 100) * 100,
            ),
          },
        };
      },
      DescribeExecution: (input) =>
        toExecutionDescription(sfn.describeExecution(requiredString(input, 'executionArn'))),
      ListExecutions: (input) => {
        const page = sfn.listExecutions({
          stateMachineArn: requiredString(input, 'stateMachineArn'),
          ...optionalString(input, 'statusFilter'),
          ...optionalNumber(input, 'maxResults'),
          ...optionalString(input, 'nextToken'),
        });
        return {
          executions: page.items.map(toExecutionListItem),
          ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
        };
      },
      GetExecutionHistory: (input) => {
        const includeData = input.includeExecutionData !== false;
        const page = sfn.getExecutionHistory({
          executionArn: requiredString(input, 'executionArn'),
          ...optionalNumber(input, 'maxResults'),
          ...optionalString(input, 'nextToken'),
          ...(input.reverseOrder === true ? { reverseOrder: true } : {}),
        });
        return {
          events: page.items.map((event) => toWireEvent(event, includeData)),
          ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
        };
      },
      StopExecution: (input) => {
        const out = sfn.stopExecution({
          executionArn: requiredString(input, 'executionArn'),
          ...optionalString(input, 'error'),
          ...optionalString(input, 'cause'),
        });
        return { stopDate: seconds(out.stopDate) };
      },
    },
  });
}

/** AWS timestamps on awsJson: epoch seconds with a millisecond fraction. */
function seconds(ms: number): number {
  return ms / 1000;
}

function startInput(input: Record<string, unknown>): {
  stateMachineArn: string;
  name?: string;
  input?: string;
} {
  return {
    stateMachineArn: requiredString(input, 'stateMachineArn'),
    ...optionalString(input, 'name'),
    ...optionalString(input, 'input'),
  };
}

function toListItem(info: StateMachineInfo): Record<string, unknown> {
  return {
    stateMachineArn: info.machine.arn,
    name: info.machine.name,
    type: info.machine.type,
    creationDate: seconds(info.creationDate),
  };
}

function toDescription(info: StateMachineInfo): Record<string, unknown> {
  return {
    ...toListItem(info),
    status: 'ACTIVE',
    definition: info.machine.definitionText,
    roleArn: info.machine.roleArn,
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

function toExecutionListItem(record: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: seconds(record.startDate),
    ...(record.stopDate === undefined ? {} : { stopDate: seconds(record.stopDate) }),
  };
}

function toExecutionDescription(record: ExecutionRecord): Record<string, unknown> {
  return {
    ...toExecutionListItem(record),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output === undefined ? {} : { output: record.output, outputDetails: { included: true } }),
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.cause === undefined ? {} : { cause: record.cause }),
  };
}

function toWireEvent(event: HistoryEvent, includeData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event, timestamp: seconds(event.timestamp) };
  if (!includeData) {
    for (const [key, value] of Object.entries(out)) {
      if (key.endsWith('EventDetails') && value !== null && typeof value === 'object') {
        const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
        out[key] = rest;
      }
    }
  }
  return out;
}

function requiredString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string') throw validation(field, value, 'Member must not be null');
  return value;
}

function optionalString<K extends string>(input: Record<string, unknown>, field: K): { [P in K]?: string } {
  const value = input[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'string') throw validation(field, value, 'Member must be a string');
  return { [field]: value } as { [P in K]?: string };
}

function optionalNumber<K extends string>(input: Record<string, unknown>, field: K): { [P in K]?: number } {
  const value = input[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'number') throw validation(field, value, 'Member must be a number');
  return { [field]: value } as { [P in K]?: number };
}
