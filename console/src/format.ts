// Formatting the console's figures, apart from the components so that tests can import it.

/** Seconds as `12.3 s` or `4 min 05 s` (rounded to the second first: 239.6 s is `4 min 00 s`, never `3 min 60 s`). */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const m = Math.floor(whole / 60);
  return `${m} min ${String(whole - m * 60).padStart(2, '0')} s`;
}
