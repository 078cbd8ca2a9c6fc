/**
 * The dashboard's chart of new supporters, drawn on the server as plain SVG (no chart library,
 * no CDN, nothing for the CSP to allow). Bars only: the SVG stretches to any width, so its
 * labels live in the surrounding HTML where text keeps its size on a phone.
 */

import { escapeXml } from './xml.js';

export interface ChartBucket {
  /** Start of the hour or day, ISO 8601 UTC. */
  start: string;
  supporters: number;
}

interface SupportersChart {
  unit: 'hour' | 'day';
  buckets: ChartBucket[];
  total: number;
  max: number;
  svg: string;
}

const hourMs = 60 * 60 * 1000;
const dayMs = 24 * hourMs;
/** Up to two days of activity is shown hour by hour; anything longer, day by day. */
const hourlyUpTo = 48;
/** The chart's width in bars at most; older days are left out (the total says so). */
const maxBars = 90;

/**
 * Buckets the hourly counters (`{ hour, supporters }`, hours without supporters absent) into
 * consecutive hours or days ending now, filling the gaps with zeros.
 */
function bucketSupporters(hourly: { hour: string; supporters: number }[], now: Date): { unit: 'hour' | 'day'; buckets: ChartBucket[] } {
  const floorHour = (t: number) => t - (t % hourMs);
  const floorDay = (t: number) => t - (t % dayMs);
  const end = now.getTime();
  const first = hourly.length > 0 ? Math.min(...hourly.map((h) => Date.parse(h.hour))) : end;
  const unit = end - first < hourlyUpTo * hourMs ? 'hour' : 'day';
  const step = unit === 'hour' ? hourMs : dayMs;
  const floor = unit === 'hour' ? floorHour : floorDay;
  const last = floor(end);
  // At least a day of hours or a week of days, so a young campaign's first bar is not the whole chart.
  const minBars = unit === 'hour' ? 24 : 7;
  const from = Math.max(Math.min(floor(first), last - (minBars - 1) * step), last - (maxBars - 1) * step);
  const counts = new Map<number, number>();
  for (const h of hourly) {
    const at = floor(Date.parse(h.hour));
    if (at >= from) counts.set(at, (counts.get(at) ?? 0) + h.supporters);
  }
  const buckets: ChartBucket[] = [];
  for (let t = from; t <= last; t += step) buckets.push({ start: new Date(t).toISOString(), supporters: counts.get(t) ?? 0 });
  return { unit, buckets };
}

/** `label(bucket, unit)` names a bar in its tooltip, e.g. "3 May 2024: 12 supporters". */
export function supportersChart(
  hourly: { hour: string; supporters: number }[],
  now: Date,
  label: (bucket: ChartBucket, unit: 'hour' | 'day') => string,
): SupportersChart {
  const { unit, buckets } = bucketSupporters(hourly, now);
  const max = Math.max(1, ...buckets.map((b) => b.supporters));
  const total = buckets.reduce((n, b) => n + b.supporters, 0);
  const width = 600;
  const height = 160;
  const slot = width / buckets.length;
  const gap = Math.min(2, slot * 0.2);
  const bars = buckets
    .map((b, i) => {
      const h = b.supporters === 0 ? 0 : Math.max(1, (b.supporters / max) * (height - 4));
      const x = (i * slot + gap / 2).toFixed(2);
      const y = (height - h).toFixed(2);
      return `<rect class="bar" x="${x}" y="${y}" width="${(slot - gap).toFixed(2)}" height="${h.toFixed(2)}"><title>${escapeXml(label(b, unit))}</title></rect>`;
    })
    .join('');
  const svg =
    `<svg class="chart-bars" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">` +
    `<line class="grid" x1="0" y1="2" x2="${width}" y2="2" vector-effect="non-scaling-stroke"/>` +
    `<line class="grid" x1="0" y1="${height / 2 + 1}" x2="${width}" y2="${height / 2 + 1}" vector-effect="non-scaling-stroke"/>` +
    bars +
    `<line class="axis" x1="0" y1="${height}" x2="${width}" y2="${height}" vector-effect="non-scaling-stroke"/>` +
    '</svg>';
  return { unit, buckets, total, max, svg };
}
