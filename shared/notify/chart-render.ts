import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { CHART_ASSETS } from './chart-assets.ts';

/**
 * Turns a Vega-Lite spec into a PNG: vega-lite compiles it to Vega, vega lays it out and draws
 * it as SVG (headless, no canvas), and resvg (Rust, compiled to WebAssembly) rasterises the
 * SVG with the bundled DejaVu Sans font. WebAssembly rather than resvg's native addon: one
 * binary for x64 and arm64 (Lambda), nothing to pick per platform at bundling time. The font is
 * loaded from the `dejavu-fonts-ttf` package (Bitstream Vera / DejaVu licence, free to bundle
 * and redistribute), never from the system, so the text is the same glyphs in Lambda, in local
 * mode and in the tests.
 *
 * Only the notifier imports this module (it is the one function that draws), so the other
 * bundles do not carry vega or the WebAssembly.
 */

/** The family every chart names; resvg gets this one font and nothing else. */
export const CHART_FONT = 'DejaVu Sans';

/** Pixels per chart unit: charts are laid out for a 480-unit-wide phone column, drawn at 2×. */
export const CHART_SCALE = 2;

/**
 * Where a file the renderer needs is: next to the bundle in Lambda (copied there at bundling,
 * see `infra/constructs/notifying.ts`), else in its npm package (local mode, tests).
 */
async function asset(name: string, packagePath: string): Promise<Buffer> {
  try {
    return await readFile(fileURLToPath(new URL(`./${name}`, import.meta.url)));
  } catch {
    return readFile(createRequire(import.meta.url).resolve(packagePath));
  }
}

let ready: Promise<Uint8Array[]> | undefined;

/** Loads the WebAssembly and the fonts once per process (a cold start pays it, not each chart). */
function prepare(): Promise<Uint8Array[]> {
  ready ??= (async () => {
    const [wasm, ...fonts] = await Promise.all(CHART_ASSETS.map((a) => asset(a.name, a.packagePath)));
    await initWasm(wasm as Buffer);
    return fonts.map((font) => new Uint8Array(font));
  })().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

/** The SVG of a Vega-Lite spec, laid out by vega without a browser. */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const vega = compile(spec).spec;
  const view = new View(parseVega(vega), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The PNG of a Vega-Lite spec, `CHART_SCALE` pixels per unit. */
export async function renderChartPng(spec: TopLevelSpec): Promise<Buffer> {
  const [svg, fontBuffers] = await Promise.all([chartSvg(spec), prepare()]);
  const resvg = new Resvg(svg, {
    font: {
      fontBuffers,
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
    fitTo: { mode: 'zoom', value: CHART_SCALE },
    background: '#ffffff',
    shapeRendering: 2,
    textRendering: 1,
  });
  try {
    const image = resvg.render();
    try {
      return Buffer.from(image.asPng());
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
