/**
 * A Vega-Lite spec to an SVG string, in Node, with no browser and no canvas: vega-lite compiles it to a Vega spec and
 * a headless vega View (renderer 'none') writes the SVG. Text widths are vega's estimates (no canvas to measure with).
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
