/** How the console writes numbers, sizes and times. */
export const count = (n: number): string => n.toLocaleString('en');
export const megabytes = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;
export const milliseconds = (ms: number): string => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
export const percent = (n: number): string => `${n.toFixed(1)} %`;
export const perMinute = (n: number | null): string =>
  n === null ? '—' : n < 10 ? n.toFixed(1) : String(Math.round(n));
export const clockTime = (ms: number): string => new Date(ms).toLocaleTimeString('en-GB');
export const dateTime = (ms: number): string => new Date(ms).toLocaleString('en-GB');

export function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
