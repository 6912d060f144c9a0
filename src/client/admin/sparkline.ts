/**
 * A sparkline: one SVG polyline over the last 15 minutes of a Series, scaled to
 * its own maximum, with the figure now and the highest in words for screen
 * readers (role="img" and an aria-label).
 */
import { HISTORY_MS, type Series } from './history.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 120;
const HEIGHT = 28;

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
      : `${label} over the last 15 minutes: now ${format(now)}, highest ${format(series.max())}`,
  );
  if (samples.length === 0) return svg;
  const end = samples.at(-1)!.at;
  const top = Math.max(series.max(), 1e-9);
  const points = samples.map((s) => {
    const x = WIDTH - ((end - s.at) / HISTORY_MS) * WIDTH;
    const y = HEIGHT - 2 - (s.value / top) * (HEIGHT - 4);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  // One sample: a short flat line, so a fresh page still shows where the figure is.
  if (points.length === 1) points.unshift(`${WIDTH - 4},${points[0]!.split(',')[1]}`);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '1.5');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(line);
  return svg;
}
