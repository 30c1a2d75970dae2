import type { BundleResult } from '../local/services/lambda/bundle';
import {
  buildCatalogBundles,
  buildDrivers,
  buildReferenceBundles,
  buildUnbundledProxy,
  type Drivers,
  type ReferenceBundles,
} from './build-artifacts';
import { startLocalEndpoint, type LocalEndpoint } from './local-endpoint';
import { resolvePython, type PythonInfo } from './python';
import type { BenchmarkResult } from './report';

/** What every benchmark can use; each part is made on first use and shared. */
export interface BenchContext {
  /** `--quick`: fewer rounds and shorter runs, for a smoke run of the harness. */
  readonly quick: boolean;
  /** Progress line on stderr (the tables go to stdout). */
  readonly progress: (line: string) => void;
  /** Results of the benchmarks that ran before, by name. */
  readonly results: ReadonlyMap<string, BenchmarkResult>;
  drivers(): Promise<Drivers>;
  /** Every catalog function bundled as deployed. */
  bundles(): Promise<BundleResult>;
  /** The proxy transpiled file by file, requiring its packages from node_modules. */
  unbundledProxy(): Promise<string>;
  /** The reference handlers (SDK floor, empty) bundled as the functions are. */
  referenceBundles(): Promise<ReferenceBundles>;
  python(): PythonInfo;
  /** One local cloud with an InService endpoint, shared by the proxy benchmarks. */
  endpoint(): Promise<LocalEndpoint>;
  /** Stops what the context started. */
  close(): Promise<void>;
}

/** Creates the shared context of one `npm run bench`. */
export function createContext(options: {
  readonly quick: boolean;
  readonly results: ReadonlyMap<string, BenchmarkResult>;
}): BenchContext {
  const once = <T>(make: () => T): (() => T) => {
    let value: { v: T } | undefined;
    return () => (value ??= { v: make() }).v;
  };
  const drivers = once(() => buildDrivers());
  const bundles = once(() => buildCatalogBundles());
  const unbundledProxy = once(() => buildUnbundledProxy());
  const referenceBundles = once(() => buildReferenceBundles());
  const python = once(() => resolvePython());
  let endpointStarted: ReturnType<typeof startLocalEndpoint> | undefined;
  return {
    quick: options.quick,
    results: options.results,
    progress: (line) => process.stderr.write(`  · ${line}\n`),
    drivers,
    bundles,
    unbundledProxy,
    referenceBundles,
    python,
    endpoint: () => (endpointStarted ??= startLocalEndpoint()),
    close: async () => {
      if (endpointStarted !== undefined) await (await endpointStarted).stop();
    },
  };
}
