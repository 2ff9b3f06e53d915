/** ISO 8601 durations (`PT10M`, `P30D`, `P1M`), applied in UTC calendar arithmetic. */
export interface Duration {
  years: number;
  months: number;
  days: number;
  ms: number;
}

const PATTERN = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parse a duration the schema already validated (its pattern is the same). */
export function parseDuration(text: string): Duration {
  const m = PATTERN.exec(text);
  if (!m) throw new Error(`not an ISO 8601 duration: ${text}`);
  const n = (i: number) => Number(m[i] ?? 0);
  return { years: n(1), months: n(2), days: n(3) * 7 + n(4), ms: ((n(5) * 60 + n(6)) * 60 + n(7)) * 1000 };
}

/** `date` plus (`sign` 1) or minus (`sign` -1) a duration. */
export function addDuration(date: Date, duration: Duration, sign: 1 | -1 = 1): Date {
  const out = new Date(date.getTime());
  if (duration.years) out.setUTCFullYear(out.getUTCFullYear() + sign * duration.years);
  if (duration.months) out.setUTCMonth(out.getUTCMonth() + sign * duration.months);
  if (duration.days) out.setUTCDate(out.getUTCDate() + sign * duration.days);
  return new Date(out.getTime() + sign * duration.ms);
}
