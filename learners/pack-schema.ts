/**
 * The shape model.ashk's header must have, checked by hand-written code rather than a schema library: the browser
 * runtime reads the same header and must stay a few kilobytes (zod alone is 13 kB gzipped). Objects are strict (an
 * unknown field is refused), numbers are finite, integers are integers. `checkHeaderShape` returns the first problem
 * as `field: what`, e.g. `tensors[0].shape[0]: must be an integer >= 1`, or null when the header fits.
 */
import { ENTRY_CODINGS } from './coded-entries.js';

/** A check of one value: null when it fits, else what is wrong at which sub-path. */
type Check = (v: unknown) => { path: string; message: string } | null;

const fail = (message: string, path = '') => ({ path, message });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const int = (min = -Infinity, max = Infinity): Check => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : fail(`must be an integer${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` <= ${max}` : ''}`);
const finite: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? null : fail('must be a finite number'));
const text: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : fail('must be a non-empty string'));
const bool: Check = (v) => (typeof v === 'boolean' ? null : fail('must be true or false'));
const oneOf = (values: readonly unknown[]): Check => (v) => (values.includes(v) ? null : fail(`must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`));
const any: Check = () => null;

function list(item: Check, max = Infinity): Check {
  return (v) => {
    if (!Array.isArray(v)) return fail('must be an array');
    if (v.length > max) return fail(`must hold at most ${max} entries`);
    for (let i = 0; i < v.length; i++) {
      const bad = item(v[i]);
      if (bad) return { path: `[${i}]${bad.path}`, message: bad.message };
    }
    return null;
  };
}

/** A strict object: `required` fields must be present, `optional` ones may be, no other field may. */
function object(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (v) => {
    if (!isObject(v)) return fail('must be an object');
    for (const key of Object.keys(v)) if (!(key in required) && !(key in optional)) return fail(`has an unknown field '${key}'`);
    for (const [key, check] of Object.entries({ ...required, ...optional })) {
      if (v[key] === undefined) {
        if (key in required) return fail('is required', `.${key}`);
        continue;
      }
      const bad = check(v[key]);
      if (bad) return { path: `.${key}${bad.path}`, message: bad.message };
    }
    return null;
  };
}

const spec = object(
  {
    pruneRatio: finite,
    pruneKind: oneOf(['magnitude', 'block', '2:4']),
    clusters: int(0),
    clusterInit: oneOf(['linear', 'random', 'density', 'kmeans++']),
    preserveSparsity: bool,
    bits: int(),
    quantKind: oneOf(['uniform', 'nonuniform']),
    bucket: oneOf(['none', 'split', 'channel']),
  },
  {
    bucketSize: int(1),
    quantRange: oneOf(['mse', 'minmax']),
    blockShape: (v) => (Array.isArray(v) && v.length === 2 ? list(int(1))(v) : fail('must be [rows, columns]')),
    blockPooling: oneOf(['avg', 'max']),
    clusterPerChannel: bool,
  },
);
const place = { name: text, shape: list(int(1, 2 ** 31), 8), offset: int(0), bytes: int(0) };
const compressed = object({ ...place, kind: oneOf(['compressed']), spec, bits: int(0) }, { coding: oneOf(ENTRY_CODINGS) });
const fp32 = object({ ...place, kind: oneOf(['fp32']) });
const tensor: Check = (v) => (isObject(v) && v.kind === 'fp32' ? fp32(v) : isObject(v) && v.kind === 'compressed' ? compressed(v) : fail("must be a tensor of kind 'compressed' or 'fp32'"));
const activation: Check = (v) => object({ layer: text, bits: int(2, 8), min: finite, max: finite })(v) ?? ((v as { min: number; max: number }).min > (v as { max: number }).max ? fail('min must not exceed max') : null);
const header = object(
  { format: oneOf(['autoshrink-packed-model']), version: int(), topology: any, payloadBytes: int(0), tensors: list(tensor) },
  { activations: list(activation) },
);

/** The first way `json` is not a model.ashk header, as 'field: problem', or null when it is one. */
export function checkHeaderShape(json: unknown): string | null {
  // topology is required but may be any JSON value: check it is present before the generic check skips undefined
  if (isObject(json) && !('topology' in json)) return 'topology: is required';
  const bad = header(json);
  return bad ? `${bad.path.replace(/^\./, '') || '(top level)'}: ${bad.message}` : null;
}
