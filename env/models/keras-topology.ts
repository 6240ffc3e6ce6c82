/**
 * model.json topologies as `tensorflowjs_converter` writes them from Keras, rewritten into what tfjs 4.22 reads.
 *
 * tf.keras 2 (2.13 and later) serialises nested objects (initializers, regularizers, constraints) with `module` and
 * `registered_name` beside `class_name` and `config`, and a mixed-precision `dtype` as a `Policy` object. Keras 3 goes
 * further: `batch_shape` where tfjs reads `batch_input_shape` (tfjs fails with "An InputLayer should be passed either
 * a batchInputShape or an inputShape"), every layer's `dtype` a `DTypePolicy` object, a functional model's
 * `inbound_nodes` as `{args, kwargs}` with `__keras_tensor__` objects naming `keras_history` [layer, node, tensor], and
 * one input or output as a flat [layer, node, tensor] rather than a list of them. Each rewrite below maps one of these
 * to the tf.keras 2 form tfjs reads; anything already in that form passes unchanged. A dtype policy other than
 * float32 is refused: tfjs computes in float32 only.
 */
import { ModelError } from '../../errors.js';

type Json = unknown;
type Obj = Record<string, unknown>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A dtype policy object ({class_name: 'DTypePolicy' | 'Policy', config: {name}}) as the dtype string tfjs reads. */
function dtypeOf(v: Obj): string {
  const name = isObj(v.config) ? v.config.name : undefined;
  if (name !== 'float32') {
    throw new ModelError(`the model uses the dtype policy '${String(name)}'; tfjs computes in float32: convert it from a float32 Keras model (keras.mixed_precision.set_global_policy('float32'))`);
  }
  return 'float32';
}

const isPolicy = (v: Json): v is Obj => isObj(v) && (v.class_name === 'DTypePolicy' || v.class_name === 'Policy' || v.class_name === 'DTypePolicyMap');

/** A Keras 3 `__keras_tensor__` as the tf.keras 2 node reference [layer, node, tensor, kwargs]. */
function tensorRef(v: Json): Json[] | null {
  if (!isObj(v) || v.class_name !== '__keras_tensor__' || !isObj(v.config) || !Array.isArray(v.config.keras_history)) return null;
  const [layer, node, tensor] = v.config.keras_history as Json[];
  return [layer, node, tensor, {}];
}

/** Keras 3 inbound nodes [{args: [tensor | [tensors]], kwargs}] as tf.keras 2's [[[layer, node, tensor, kwargs], ...]]. */
function inboundNodes(nodes: Json): Json {
  if (!Array.isArray(nodes)) return nodes;
  return nodes.map((node) => {
    if (!isObj(node) || !Array.isArray(node.args)) return node;
    const refs: Json[][] = [];
    const collect = (a: Json) => {
      const ref = tensorRef(a);
      if (ref) refs.push(ref);
      else if (Array.isArray(a)) a.forEach(collect);
    };
    node.args.forEach(collect);
    // keyword tensors (e.g. a mask) are not inputs tfjs can wire: only plain keyword values go along
    const kwargs = isObj(node.kwargs) ? Object.fromEntries(Object.entries(node.kwargs).filter(([, v]) => tensorRef(v) === null)) : {};
    return refs.map(([layer, n, tensor]) => [layer, n, tensor, kwargs]);
  });
}

/** One input or output as a flat [layer, node, tensor] becomes a list of one. */
function endpointList(v: Json): Json {
  return Array.isArray(v) && typeof v[0] === 'string' ? [v] : v;
}

function normalize(v: Json, key: string | null): Json {
  if (Array.isArray(v)) return v.map((x) => normalize(x, null));
  if (!isObj(v)) return v;
  if (key === 'dtype' && isPolicy(v)) return dtypeOf(v);
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    // module / registered_name say where Keras finds the class: tfjs finds it by class_name alone
    if ((k === 'module' || k === 'registered_name') && 'class_name' in v) continue;
    out[k] = normalize(x, k);
  }
  if (isObj(out.config) && 'batch_shape' in out.config && !('batch_input_shape' in out.config)) {
    const { batch_shape: shape, ...rest } = out.config;
    out.config = { batch_input_shape: shape, ...rest };
  }
  if ('inbound_nodes' in out) out.inbound_nodes = inboundNodes(out.inbound_nodes);
  if ('input_layers' in out) out.input_layers = endpointList(out.input_layers);
  if ('output_layers' in out) out.output_layers = endpointList(out.output_layers);
  return out;
}

/** A converter-written topology (tf.keras 2 or Keras 3) in the form tfjs 4.22 reads; tfjs's own passes unchanged. */
export function normalizeKerasTopology(topology: Json): Json {
  return normalize(topology, null);
}

/** Every layer name of a topology (the entries of its `layers` lists and wrapped `layer`s), the model's own not. */
function layerNames(topology: Json): Set<string> {
  const names = new Set<string>();
  const visit = (v: Json, isLayer: boolean) => {
    if (Array.isArray(v)) v.forEach((x) => visit(x, isLayer));
    else if (isObj(v)) {
      if (isLayer && isObj(v.config) && typeof v.config.name === 'string') names.add(v.config.name);
      for (const [k, x] of Object.entries(v)) visit(x, k === 'layers' || k === 'layer');
    }
  };
  visit(topology, false);
  return names;
}

/**
 * Weight names as tfjs matches them, `<layer>/<weight>`: a name the converter prefixed with the model's own name
 * (`sequential/dense/kernel`, Keras 3 variable paths) loses the prefix when what follows starts with a layer's name.
 */
export function normalizeWeightNames(names: string[], topology: Json): string[] {
  const layers = layerNames(topology);
  return names.map((name) => {
    const parts = name.split('/');
    return parts.length > 2 && !layers.has(parts[0]) && layers.has(parts[1]) ? parts.slice(1).join('/') : name;
  });
}
