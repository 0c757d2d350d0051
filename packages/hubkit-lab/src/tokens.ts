/*
 * Copyright (c) hubkit contributors.
 * Distributed under the terms of the Modified BSD License.
 */

/**
 * What GET /hubkit-lab/server answers: the profile and size the user picked on the hub's
 * spawn form, and the limits JupyterHub gives the server. Each is null when unknown.
 */
export interface IServerInfo {
  /** The profile's slug, e.g. `python-sql` (HUBKIT_PROFILE). */
  profile: string | null;
  /** The profile's display name, e.g. `Python & SQL` (HUBKIT_PROFILE_NAME). */
  profile_name: string | null;
  /** The size's slug, e.g. `small` (HUBKIT_SIZE). */
  size: string | null;
  /** The size's display name, e.g. `Small` (HUBKIT_SIZE_NAME). */
  size_name: string | null;
  /** CPUs the server may use (JupyterHub's CPU_LIMIT). */
  cpu_limit: number | null;
  /** Bytes of memory the server may use (JupyterHub's MEM_LIMIT). */
  mem_limit: number | null;
}
