import type { ComputePlane, DataPlane, PlaneOptions } from '../planes';

/** Options of the compute plane: the data plane it sits on and where the edge listens. */
export interface ComputePlaneOptions extends PlaneOptions {
  readonly data: DataPlane;
  readonly host: string;
  readonly edgePort: number;
}

/** Creates the compute plane (see planes.ts). Being built. */
export function createComputePlane(_options: ComputePlaneOptions): Promise<ComputePlane> {
  return Promise.reject(new Error('The compute plane is not built yet (local/services/compute-plane.ts).'));
}
