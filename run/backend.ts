/**
 * The tfjs backend of a command. env/backend.ts is the one module that chooses and activates it; cli/ asks through
 * here so that it talks to run/ only.
 */
import { type BackendChoice, selectBackend } from '../env/backend.js';

export type { BackendChoice };
export { BACKEND_CHOICES } from './choices.js';

/** Choose and activate the backend; an unknown or unavailable one is a one-line ConfigError. */
export function useBackend(requested: string): Promise<BackendChoice> {
  return selectBackend(requested);
}
