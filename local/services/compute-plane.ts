import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import {
  PROXY_FUNCTION,
  STEP_FUNCTIONS,
  type CatalogContext,
  type FunctionSpec,
} from '../../lambdas/catalog';
import {
  DEFAULT_PREFIX,
  healthCheckStateMachineName,
  lockTableName,
  notificationTopicName,
  proxyFunctionName,
  rolloutStateMachineName,
  stepFunctionName,
} from '../../pipeline/names';
import type { ComputePlane, DataPlane, HealthCheckRun, LocalServiceResources, PlaneOptions } from '../planes';
import { JsonStore } from '../store';
import { Edge } from './edge';
import { bundleFunctions, catalogBundleEntries, type BundleEntry, type BundleResult } from './lambda/bundle';
import { ExecutionEnvironments } from './lambda/execution-environments';
import { FunctionLogs } from './lambda/function-logs';
import { FunctionStore, type FunctionDefinition } from './lambda/function-store';
import { functionArn, LambdaFunctions } from './lambda/lambda-functions';
import { lambdaService } from './lambda/lambda-service';
import { loadStateMachine, substitutePlaceholders, type StateMachineType } from './stepfunctions/definitions';
import { ExecutionStore, type ExecutionRecord } from './stepfunctions/execution-store';
import { createTaskLambdaClient } from './stepfunctions/lambda-task';
import { StepFunctions } from './stepfunctions/step-functions';
import { stepFunctionsService } from './stepfunctions/stepfunctions-service';

/** An extra function to run besides the catalog's (tests' fixtures). */
export interface ExtraFunction {
  readonly name: string;
  /** Entry file (absolute or relative to rootDir) exporting `handler`. */
  readonly entry: string;
  /** ASL placeholder its ARN fills in extra state machines, e.g. `EchoFunctionArn`. */
  readonly placeholder?: string;
  /** @default 30 */
  readonly timeoutSeconds?: number;
  /** @default 256 */
  readonly memoryMb?: number;
  readonly environment?: Readonly<Record<string, string>>;
}

/** An extra state machine (tests'), its ASL using catalog or extra placeholders. */
export interface ExtraStateMachine {
  readonly name: string;
  readonly type: StateMachineType;
  readonly definition: string;
}

/** Options of the compute plane: the data plane it sits on and where the edge listens. */
export interface ComputePlaneOptions extends PlaneOptions {
  readonly data: DataPlane;
  readonly host: string;
  readonly edgePort: number;
  /** Register the catalog's functions and the rollout / health-check state machines. @default true */
  readonly catalog?: boolean;
  readonly extraFunctions?: readonly ExtraFunction[];
  readonly extraStateMachines?: readonly ExtraStateMachine[];
  /** Bundle cache folder. @default `<dataDir>/bundles`, or a shared folder under the OS temp dir in memory */
  readonly bundleDir?: string;
  /** Concurrent invocations per function before throttling. @default 100 */
  readonly maxConcurrency?: number;
  /** AWS seconds a Lambda configuration update stays InProgress. @default 3 */
  readonly configUpdateSeconds?: number;
  /** Real ms an idle execution environment stays warm. @default 300000 */
  readonly idleWorkerMs?: number;
  /** API Gateway integration timeout, real ms. @default 29000 */
  readonly integrationTimeoutMs?: number;
}

/** The compute plane with the parts tests and benchmarks reach into. */
export interface LocalComputePlane extends ComputePlane {
  readonly lambda: LambdaFunctions;
  readonly stepFunctions: StepFunctions;
  readonly edge: Edge;
  readonly bundles: BundleResult;
  /** Executions a previous process left RUNNING and this start marked FAILED. */
  readonly recovered: readonly string[];
}

interface ProvisionState {
  /** Services provisioned (the local `cdk deploy` of their serving stacks), recreated at start. */
  services: Record<string, { provisionedAt: string }>;
}

const RUNTIME_BUNDLE = '_runtime';
const ROLE_PREFIX = 'arn:aws:iam::';

/**
 * Creates the compute plane: bundles the functions (esbuild, cached), registers them in Lambda (worker
 * execution environments), loads the state machines with their placeholders filled, starts the edge,
 * marks executions a previous process left RUNNING as failed, and re-provisions persisted services.
 */
export async function createComputePlane(options: ComputePlaneOptions): Promise<LocalComputePlane> {
  if (typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers !== 'function') {
    throw new Error(
      'aws-local-stepfunctions needs Promise.withResolvers (Node 22); call installNode20Polyfills() from local/cloud.ts first.',
    );
  }
  const { ctx, dataDir, rootDir, data } = options;
  const prefix = DEFAULT_PREFIX;
  const useCatalog = options.catalog ?? true;
  const extras = options.extraFunctions ?? [];

  const bundleDir =
    options.bundleDir ?? (dataDir === null ? sharedBundleDir(rootDir) : join(dataDir, 'bundles'));
  const entries: BundleEntry[] = [
    { id: RUNTIME_BUNDLE, entry: join(__dirname, 'lambda', 'runtime-bootstrap.ts') },
    ...(useCatalog ? catalogBundleEntries() : []),
    ...uniqueBy(
      extras.map((f) => ({ id: extraCodeId(f.entry), entry: f.entry })),
      (e) => e.id,
    ),
  ];
  const bundles = await bundleFunctions({ rootDir, outDir: bundleDir, entries });
  const runtime = bundles.bundles.get(RUNTIME_BUNDLE);
  if (runtime === undefined) {
    throw new Error(
      `Cannot bundle the Lambda runtime bootstrap: ${bundles.failures.get(RUNTIME_BUNDLE) ?? 'unknown error'}`,
    );
  }
  for (const [id, error] of bundles.failures) {
    console.error(
      `[local] function bundle ${id} failed to build (invocations will fail with Runtime.ImportModuleError): ${error}`,
    );
  }

  const logs = new FunctionLogs(dataDir === null ? null : join(dataDir, 'logs'), (fn, line) =>
    data.ingestLog(fn, line),
  );
  const environments = new ExecutionEnvironments({
    bootstrapFile: runtime.file,
    logs,
    ...(options.idleWorkerMs === undefined ? {} : { idleMs: options.idleWorkerMs }),
  });
  const functionStore = new FunctionStore(dataDir === null ? null : join(dataDir, 'lambda.json'), (name) =>
    functionArn(ctx, name),
  );
  const lambda = new LambdaFunctions({
    ctx,
    endpoint: options.endpoint,
    store: functionStore,
    environments,
    code: (codeId) => {
      const built = bundles.bundles.get(codeId);
      return built === undefined
        ? { error: bundles.failures.get(codeId) ?? `no bundle ${codeId}` }
        : { file: built.file };
    },
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
    ...(options.configUpdateSeconds === undefined
      ? {}
      : { configUpdateSeconds: options.configUpdateSeconds }),
  });
  const codeOf = (codeId: string): Pick<FunctionDefinition, 'codeId' | 'codeSha256' | 'codeSize'> => {
    const built = bundles.bundles.get(codeId);
    return { codeId, codeSha256: built?.codeSha256 ?? '', codeSize: built?.bytes ?? 0 };
  };
  const role = (name: string): string => `${ROLE_PREFIX}${ctx.accountId}:role/${name}-role`;

  const catalogContext: CatalogContext = {
    prefix,
    lockTableName: lockTableName(prefix),
    notificationTopicArn: `arn:aws:sns:${ctx.region}:${ctx.accountId}:${notificationTopicName(prefix)}`,
    rolloutStateMachineArn: `arn:aws:states:${ctx.region}:${ctx.accountId}:stateMachine:${rolloutStateMachineName(prefix)}`,
  };
  const registerFunctions = (): void => {
    if (useCatalog) {
      for (const spec of STEP_FUNCTIONS) lambda.register(stepDefinition(spec), false);
    }
    for (const extra of extras) {
      lambda.register(
        {
          name: extra.name,
          ...codeOf(extraCodeId(extra.entry)),
          settings: {
            description: `Fixture ${extra.entry}`,
            timeoutSeconds: extra.timeoutSeconds ?? 30,
            memoryMb: extra.memoryMb ?? 256,
            environment: extra.environment ?? {},
            role: role(extra.name),
          },
        },
        false,
      );
    }
  };
  const stepDefinition = (spec: FunctionSpec): FunctionDefinition => {
    const name = stepFunctionName(prefix, spec.id);
    return {
      name,
      ...codeOf(spec.id),
      settings: {
        description: spec.description,
        timeoutSeconds: spec.timeoutSeconds,
        memoryMb: spec.memoryMb,
        environment: spec.environment(catalogContext),
        role: role(name),
      },
    };
  };
  registerFunctions();

  // State machines: the ASL files with CDK's definitionSubstitutions, filled with local ARNs.
  const placeholders: Record<string, string> = {};
  if (useCatalog) {
    for (const spec of STEP_FUNCTIONS)
      placeholders[spec.placeholder] = lambda.arnOf(stepFunctionName(prefix, spec.id));
  }
  for (const extra of extras) {
    if (extra.placeholder !== undefined) placeholders[extra.placeholder] = lambda.arnOf(extra.name);
  }
  const machineSources: { name: string; type: StateMachineType; text: string; source: string }[] = [
    ...(useCatalog
      ? [
          {
            name: rolloutStateMachineName(prefix),
            type: 'STANDARD' as const,
            text: readFileSync(join(rootDir, 'statemachines', 'rollout.asl.json'), 'utf8'),
            source: 'statemachines/rollout.asl.json',
          },
          {
            name: healthCheckStateMachineName(prefix),
            type: 'EXPRESS' as const,
            text: readFileSync(join(rootDir, 'statemachines', 'health-check.asl.json'), 'utf8'),
            source: 'statemachines/health-check.asl.json',
          },
        ]
      : []),
    ...(options.extraStateMachines ?? []).map((m) => ({
      name: m.name,
      type: m.type,
      text: m.definition,
      source: `state machine ${m.name}`,
    })),
  ];
  const machines = machineSources.map((m) =>
    loadStateMachine({
      name: m.name,
      arn: `arn:aws:states:${ctx.region}:${ctx.accountId}:stateMachine:${m.name}`,
      type: m.type,
      roleArn: role(m.name),
      definitionText: substitutePlaceholders(m.text, placeholders, m.source),
      source: m.source,
    }),
  );
  const lambdaClient = createTaskLambdaClient(options.endpoint, ctx.region);
  const stepFunctions = new StepFunctions({
    ctx,
    store: new ExecutionStore(dataDir),
    machines,
    lambdaClient,
  });
  const recovered = stepFunctions.recoverInterrupted();

  const edge = await Edge.start({
    ctx,
    lambda,
    host: options.host,
    port: options.edgePort,
    ...(options.integrationTimeoutMs === undefined
      ? {}
      : { integrationTimeoutMs: options.integrationTimeoutMs }),
  });
  data.onInvalidation((distributionId, paths) => {
    edge.invalidate(distributionId, paths);
  });

  const provisioned = new JsonStore<ProvisionState>(
    dataDir === null ? null : join(dataDir, 'compute.json'),
    () => ({
      services: {},
    }),
  );
  const provisionService = (service: string): Promise<LocalServiceResources> => {
    const publicUrl = `${edge.url}/${service}`;
    const functionName = proxyFunctionName(prefix, service);
    const resources = data.provisionService(service, publicUrl, functionName);
    const originVerifySecret = resources.originVerifySecret === '' ? null : resources.originVerifySecret;
    provisioned.mutate((s) => {
      s.services[service] = { provisionedAt: s.services[service]?.provisionedAt ?? new Date().toISOString() };
    });
    lambda.register(
      {
        name: functionName,
        ...codeOf(PROXY_FUNCTION.id),
        settings: {
          description: PROXY_FUNCTION.description,
          timeoutSeconds: PROXY_FUNCTION.timeoutSeconds,
          memoryMb: PROXY_FUNCTION.memoryMb,
          environment: PROXY_FUNCTION.environment({ prefix, service, originVerifySecret }),
          role: role(functionName),
        },
      },
      // An existing proxy keeps its configuration: ENDPOINT_NAME is what the last rollout set.
      true,
    );
    edge.addRoute({
      service,
      functionName,
      apiKey: resources.apiKey === '' ? null : resources.apiKey,
      originVerifySecret,
      distributionId: resources.distributionId === '' ? null : resources.distributionId,
    });
    return Promise.resolve(resources);
  };
  if (useCatalog) {
    for (const service of Object.keys(provisioned.state.services)) await provisionService(service);
  }

  const plane: LocalComputePlane = {
    services: [lambdaService(ctx, lambda), stepFunctionsService(ctx, stepFunctions)],
    edgeUrl: edge.url,
    lambda,
    stepFunctions,
    edge,
    bundles,
    recovered,
    provisionService: (service) => {
      if (!useCatalog) {
        return Promise.reject(
          new Error('provisionService needs the catalog (the proxy function); start with catalog: true.'),
        );
      }
      return provisionService(service);
    },
    runHealthCheck: async (service) =>
      toHealthCheckRun(await stepFunctions.runExpress(healthCheckStateMachineName(prefix), { service })),
    inventory: () => ({
      functions: lambda.inventory(),
      ...stepFunctions.inventory(),
      edgeRoutes: edge.listRoutes(),
    }),
    reset: async () => {
      await stepFunctions.reset();
      await environments.shutdown();
      functionStore.reset();
      provisioned.reset();
      edge.reset();
      registerFunctions();
    },
    close: async () => {
      // Order matters: stop recording executions, then end the functions they may be waiting on.
      const detached = stepFunctions.detachAll();
      await lambda.close();
      await detached;
      lambdaClient.destroy();
      await edge.close();
    },
  };
  return plane;
}

/**
 * The bundle cache of in-memory clouds: one per repository under the OS temp dir, shared by processes
 * (bundles are renamed into place, so concurrent builders do not tear each other's files).
 */
export function sharedBundleDir(rootDir: string): string {
  return join(
    tmpdir(),
    'hf-rollout-local-bundles',
    createHash('sha256').update(rootDir).digest('hex').slice(0, 12),
  );
}

/** Bundle id of an extra function's entry: readable, and unique per entry file. */
function extraCodeId(entry: string): string {
  const stem = basename(entry, extname(entry)).replace(/[^a-zA-Z0-9-]/g, '-');
  return `x-${stem}-${createHash('sha256').update(entry).digest('hex').slice(0, 8)}`;
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function toHealthCheckRun(record: ExecutionRecord): HealthCheckRun {
  let output: unknown;
  if (record.output !== undefined) {
    try {
      output = JSON.parse(record.output);
    } catch {
      output = record.output;
    }
  }
  return {
    executionArn: record.executionArn,
    status: record.status,
    startDate: new Date(record.startDate).toISOString(),
    ...(record.stopDate === undefined ? {} : { stopDate: new Date(record.stopDate).toISOString() }),
    ...(output === undefined ? {} : { output }),
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.cause === undefined ? {} : { cause: record.cause }),
  };
}
