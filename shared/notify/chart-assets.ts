/**
 * The files the chart renderer reads at run time, by the name they get next to the Lambda
 * bundle (copied there at bundling by the notifier's PulsecastFunction) and where they are in
 * their npm packages (local mode, tests). Kept apart from the renderer so the infrastructure can
 * name them without loading vega.
 */
export const CHART_ASSETS = [
  { name: 'resvg.wasm', packagePath: '@resvg/resvg-wasm/index_bg.wasm' },
  { name: 'DejaVuSans.ttf', packagePath: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf' },
  { name: 'DejaVuSans-Bold.ttf', packagePath: 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf' },
] as const;
