/**
 * A Sequential nested in a model (`tf.sequential` used as a layer of a functional model, or inside another Sequential)
 * is one layer to tfjs: `model.layers` lists it and not the Dense or Conv2D layers inside, so the search would leave its
 * kernels at fp32. On loading, each Sequential called once is written out in place as its own layers, chained one
 * after the other: the same computation with the same weights (tfjs names a nested layer's weights by the inner
 * layer's name, `in1/kernel`, so the weight manifest matches unchanged). What is searched and exported is that flat
 * model. A nested functional model, or a Sequential called more than once (shared), stays as it is; the run names it
 * among the layers left at full precision.
 */

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Sequential's layer list, from tfjs's `{name, layers}` or older Keras's bare list. */
function sequentialLayers(layer: Obj): Obj[] | null {
  if (layer.class_name !== 'Sequential') return null;
  const config = layer.config;
  const list = Array.isArray(config) ? config : isObj(config) && Array.isArray(config.layers) ? config.layers : null;
  return list && list.every(isObj) ? (list as Obj[]) : null;
}

function nameOf(layer: Obj): string | null {
  const name = isObj(layer.config) ? layer.config.name : layer.name;
  return typeof name === 'string' ? name : null;
}

/** A Sequential's layers with its own nested Sequentials spliced in, its InputLayer dropped. */
function flatSequential(layers: Obj[]): Obj[] {
  return layers.flatMap((l) => {
    if (l.class_name === 'InputLayer') return [];
    const inner = sequentialLayers(l);
    return inner ? flatSequential(inner) : [l];
  });
}

/** A layer's config without the input shape a Sequential's first layer carries (the layer is no longer first). */
function withoutInputShape(layer: Obj): Obj {
  if (!isObj(layer.config)) return layer;
  const { batch_input_shape: _b, input_shape: _i, ...config } = layer.config;
  return { ...layer, config };
}

/** A functional model's layers with each Sequential called once replaced by its layers in a chain. */
function inlineInFunctional(config: Obj): Obj {
  const layers = config.layers;
  if (!Array.isArray(layers) || !layers.every(isObj)) return config;
  // a replaced Sequential's name -> its last inner layer, which now gives its output
  const renamed = new Map<string, string>();
  const out: Obj[] = [];
  for (const layer of layers as Obj[]) {
    const inner = sequentialLayers(layer);
    const nodes = layer.inbound_nodes;
    const name = nameOf(layer);
    const flat = inner ? flatSequential(inner) : [];
    const names = flat.map(nameOf);
    if (!inner || name === null || !Array.isArray(nodes) || nodes.length !== 1 || flat.length === 0 || names.some((n) => n === null)) {
      out.push(layer);
      continue;
    }
    flat.forEach((l, i) => {
      const inbound = i === 0 ? nodes : [[[names[i - 1], 0, 0, {}]]];
      out.push({ ...withoutInputShape(l), name: names[i], inbound_nodes: inbound });
    });
    renamed.set(name, names[names.length - 1]!);
  }
  if (renamed.size === 0) return config;
  // a reference [layer, node, tensor, ...] to a replaced Sequential now names its last layer's only node
  const relink = (v: Json): Json => {
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && renamed.has(v[0]) && typeof v[1] === 'number') return [renamed.get(v[0]), 0, ...v.slice(2)];
      return v.map(relink);
    }
    return v;
  };
  return {
    ...config,
    layers: out.map((l) => (l.inbound_nodes === undefined ? l : { ...l, inbound_nodes: relink(l.inbound_nodes) })),
    output_layers: relink(config.output_layers),
  };
}

/** Inline the nested Sequentials of a tfjs layers topology (`{class_name, config}`, or Keras's `{model_config}`). */
export function inlineNestedSequentials(topology: Json): Json {
  if (!isObj(topology)) return topology;
  if (isObj(topology.model_config)) return { ...topology, model_config: inlineNestedSequentials(topology.model_config) };
  const config = topology.config;
  if (topology.class_name === 'Sequential') {
    const layers = sequentialLayers(topology);
    if (!layers || !layers.some((l) => sequentialLayers(l))) return topology;
    // the first layer keeps its input shape (a nested Sequential's first layer carries it), unless an InputLayer leads
    const input = layers[0].class_name === 'InputLayer' ? [layers[0]] : [];
    const body = flatSequential(layers).map((l, i) => (i === 0 && input.length === 0 ? l : withoutInputShape(l)));
    return { ...topology, config: Array.isArray(config) ? [...input, ...body] : { ...(config as Obj), layers: [...input, ...body] } };
  }
  if ((topology.class_name === 'Model' || topology.class_name === 'Functional') && isObj(config)) return { ...topology, config: inlineInFunctional(config) };
  return topology;
}
