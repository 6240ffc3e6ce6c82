/**
 * The names a command's flags accept, from modules that load no tfjs: the CLI lists them in --help and checks flags
 * before any command loads tfjs, bullmq or the charting packages (run/backend.ts activates the backend).
 */
import { BACKENDS } from '../env/backend-names.js';

export { BUILTIN_MODELS, isBuiltinModel } from '../env/models/builtin-models.js';

/** What `--backend` accepts: 'auto' (node if it loads, else wasm, else cpu) or one backend by name. */
export const BACKEND_CHOICES = ['auto', ...BACKENDS] as const;
