import type { DataPlane, PlaneOptions } from '../planes';

/** Creates the data plane (see planes.ts). Being built: services are added as they are emulated. */
export function createDataPlane(_options: PlaneOptions): DataPlane {
  throw new Error('The data plane is not built yet (local/services/data-plane.ts).');
}
