/**
 * The report's library API: pure functions from run data to Vega-Lite specs, SVG strings, one HTML page and a PNG.
 * Benchmarks and other tools build `ReportRun`s (or call one chart's function) without the run store.
 */
export { type FinalRun, finalSpec } from './final-chart.js';
export { type LayersRun, layersSpec } from './layers-chart.js';
export { type PageInput, type RenderedChart, reportPage } from './page.js';
export { bestSoFar, type CostAccuracy, dominates, paretoFront, warmupLength } from './pareto.js';
export { type ParetoRun, paretoSpec } from './pareto-chart.js';
export { chartsPng, stackSvgs } from './png.js';
export { renderSvg } from './render.js';
export { buildReport, type ChartSpec, type Report, reportSpecs } from './report.js';
export { type RewardChartOptions, type RewardRun, rewardSpec } from './reward-chart.js';
export { CONFIG as CHART_CONFIG, costUnit, RUN_COLORS } from './theme.js';
export type { CostKind, ReportEpisode, ReportFinal, ReportLayer, ReportRun, ReportSizes } from './types.js';
