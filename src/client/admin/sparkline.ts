/**
 * A sparkline: one SVG polyline over what a Series holds (the page's polls of up
 * to the last 15 minutes; the line spans the time the page has seen, so a page
 * opened a minute ago fills its width too), scaled to its own maximum, with the
 * figure now, the highest and the time covered in words for screen readers
 * (role="img" and an aria-label).
 */
import { duration } from './format.js';
import type { Series } from './history.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 120;
const HEIGHT = 28;

/** "the last 15 min", "the last 40 s": how much time a series covers. */
export function coveredText(series: Series): string {
  const samples = series.values();
  if (samples.length < 2) return 'one poll so far';
  return `the last ${duration((samples.at(-1)!.at - samples[0]!.at) / 1000)}`;
}

export function sparkline(series: Series, label: string, format: (n: number) => string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  const samples = series.values();
  const now = samples.at(-1)?.value;
  svg.setAttribute(
    'aria-label',
    now === undefined
      ? `${label}: no samples yet`
      : `${label} over ${coveredText(series)}: now ${format(now)}, highest ${format(series.max())}`,
  );
  if (samples.length === 0) return svg;
  const start = samples[0]!.at;
  const span = Math.max(samples.at(-1)!.at - start, 1);
  const top = Math.max(series.max(), 1e-9);
  const y = (value: number) => (HEIGHT - 2 - (value / top) * (HEIGHT - 4)).toFixed(1);
  const points =
    samples.length === 1
      ? [`0,${y(samples[0]!.value)}`, `${WIDTH},${y(samples[0]!.value)}`]
      : samples.map((s) => `${(((s.at - start) / span) * WIDTH).toFixed(1)},${y(s.value)}`);
  // The area under the line, faint, so a short history still reads as a chart.
  const area = document.createElementNS(SVG, 'polygon');
  area.setAttribute('points', `0,${HEIGHT} ${points.join(' ')} ${WIDTH},${HEIGHT}`);
  area.setAttribute('fill', 'currentColor');
  area.setAttribute('fill-opacity', '0.15');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '1.5');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(area, line);
  return svg;
}
