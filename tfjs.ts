/**
 * TensorFlow.js as autoshrink uses it, from the packages it needs rather than the umbrella @tensorflow/tfjs (which
 * adds the converter, tfjs-data and the webgl backend: docs/design.md, "Backends"): tfjs-core, tfjs-layers and the
 * plain JavaScript cpu backend, plus what the umbrella registers for its users and tfjs-core's Node entry does not,
 * the gradients and the chained ops (`x.add(y)`), from tfjs-gradients.ts. Every module of ours imports tfjs from
 * here (`import * as tf from '../tfjs.js'`), so one copy of tfjs-core, one engine and one kernel registry serve
 * tfjs-layers, the backends and our kernels. The wasm and node backends load in env/backend.ts, when chosen.
 *
 * A leaf: it imports nothing of ours but the generated tfjs-gradients.ts.
 */
import './tfjs-gradients.js';
import '@tensorflow/tfjs-backend-cpu';
// the chained ops' types (`x.add(y)` on a Tensor): a type-only import, which loads no module
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';

import { version_core } from '@tensorflow/tfjs-core';
import { version_layers } from '@tensorflow/tfjs-layers';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';

/** The versions, as the umbrella package's `tf.version` gives them (`tfjs` is tfjs-core's: there is no umbrella). */
export const version = { 'tfjs-core': version_core, 'tfjs-layers': version_layers, tfjs: version_core } as const;
