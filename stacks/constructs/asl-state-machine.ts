import { readFileSync } from 'node:fs';
import { Fn, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, type StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stateMachineLogGroupName } from '../../pipeline/names';
import { ignoreCfnLintRule } from '../cfn-lint';
import { acknowledge, acknowledgeWildcardResources } from '../nag';

/** The `${Placeholder}` names an ASL text uses, in order of first use. */
export function aslPlaceholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''))];
}

/** Properties of a state machine defined by an ASL file of statemachines/. */
export interface AslStateMachineProps {
  readonly stateMachineName: string;
  /** Absolute path of the ASL JSON file. */
  readonly definitionFile: string;
  readonly stateMachineType: StateMachineType;
  /** The function whose ARN fills each placeholder (`CreateModelFunctionArn` → function). */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly logRetention: RetentionDays;
  /** Log the states' input and output (Express workflows have no execution history to look them up in). */
  readonly includeExecutionData: boolean;
}

/**
 * A state machine from an ASL file with its `${XxxFunctionArn}` placeholders filled by
 * definitionSubstitutions. Fails at synth if the file uses a placeholder no function fills, or a function
 * fills none, so the ASL and the catalog cannot drift. Logs ALL events, traces with X-Ray, may invoke
 * exactly its functions.
 */
export class AslStateMachine extends Construct {
  /** The state machine. */
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: AslStateMachineProps) {
    super(scope, id);
    const used = aslPlaceholders(readFileSync(props.definitionFile, 'utf8'));
    const given = Object.keys(props.functions);
    const missing = used.filter((p) => !given.includes(p));
    const unused = given.filter((p) => !used.includes(p));
    if (missing.length > 0 || unused.length > 0) {
      throw new Error(
        `${props.definitionFile} and lambdas/catalog.ts disagree: placeholders without a function: [${missing.join(', ')}]; functions no placeholder uses: [${unused.join(', ')}]. Fix the ASL or the catalog's placeholder/stateMachine.`,
      );
    }

    // Under /aws/vendedlogs/states/, as Step Functions advises: CloudWatch Logs then needs no resource
    // policy entry per log group (that policy is limited to 5,120 characters per region). The stack's
    // own id ends the name, so a retained group of a destroyed stack never blocks the next deploy.
    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: stateMachineLogGroupName(
        props.stateMachineName,
        Fn.select(2, Fn.split('/', Stack.of(this).stackId)),
      ),
      retention: props.logRetention,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: props.stateMachineType,
      definitionBody: DefinitionBody.fromFile(props.definitionFile),
      definitionSubstitutions: Object.fromEntries(
        Object.entries(props.functions).map(([placeholder, fn]) => [placeholder, fn.functionArn]),
      ),
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: props.includeExecutionData },
      tracingEnabled: true,
    });
    const functions = [...new Set(Object.values(props.functions))];
    for (const fn of functions) fn.grantInvoke(this.stateMachine);
    // CDK makes the state machine DependsOn its role and the role's policy; the role entry repeats the
    // GetAtt of RoleArn (cfn-lint W3005), the policy entry is needed.
    ignoreCfnLintRule(this.stateMachine, 'W3005');

    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5',
      'CloudWatch Logs log-delivery actions (logging) and X-Ray actions (tracing) support no resource-level permissions.',
      'Resource::*',
    );
    acknowledgeWildcardResources(
      this.stateMachine,
      functions.map((fn) => `${fn.functionArn}:*`),
      'Invoke permission on the functions of this state machine, any version or alias (as grantInvoke grants); no other function.',
    );
  }
}
