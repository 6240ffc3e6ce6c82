/**
 * Reading a rendered chart back: the items of a named mark group in vega's SVG (`<g class="mark-<type> role-mark
 * <name>_marks">` holding one element per item; symbol, rect, rule, line and text groups nest no other group).
 */
export interface MarkItems {
  type: string;
  /** The item elements, as text. */
  items: string[];
}

export function markGroup(svg: string, name: string): MarkItems | null {
  const m = new RegExp(`<g class="mark-(\\w+) role-mark ${name}_marks"[^>]*>(.*?)</g>`, 's').exec(svg);
  if (!m) return null;
  const items = m[2].match(/<(path|line|text)\b[^>]*?(\/>|>[^<]*<\/text>)/g) ?? [];
  return { type: m[1], items };
}

/** Positions of symbol items (their `translate(x,y)`), in the chart's pixels: y grows downwards. */
export function positions(group: MarkItems | null): Array<{ x: number; y: number }> {
  return (group?.items ?? []).map((item) => {
    const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(item);
    if (!m) throw new Error(`no position in ${item.slice(0, 80)}`);
    return { x: Number(m[1]), y: Number(m[2]) };
  });
}
