/** The tfjs backends autoshrink can run on, by our name: a leaf without tfjs, so a command's flags can list them
 * before tfjs loads (env/backend.ts chooses and activates one). */
export const BACKENDS = ['node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
