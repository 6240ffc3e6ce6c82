/**
 * The charts as one PNG, without a browser: their SVGs stacked into one SVG and drawn by resvg (a Rust renderer
 * shipped as a prebuilt npm package, no download at install). Text is drawn with the machine's fonts; the page's
 * tables are not in it (take a screenshot of the HTML for those; the README says how).
 */
import { Resvg } from '@resvg/resvg-js';

const SIZE = /<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/;

/** One SVG holding the given SVGs one under the other, `gap` pixels apart, on white. */
export function stackSvgs(svgs: readonly string[], gap = 16): string {
  let y = 0;
  let width = 0;
  const parts: string[] = [];
  for (const svg of svgs) {
    const m = SIZE.exec(svg);
    if (!m) throw new TypeError('an SVG without width and height cannot be stacked');
    const [w, h] = [Number(m[1]), Number(m[2])];
    parts.push(svg.replace(/^<svg\b/, `<svg x="0" y="${y}"`));
    y += h + gap;
    width = Math.max(width, w);
  }
  const height = Math.max(0, y - gap);
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="${width}" height="${height}" fill="white"/>${parts.join('')}</svg>`;
}

/** PNG bytes of the stacked charts at `scale` (2 = sharp on a high-density screen). */
export function chartsPng(svgs: readonly string[], { scale = 2 }: { scale?: number } = {}): Uint8Array {
  const resvg = new Resvg(stackSvgs(svgs), {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
