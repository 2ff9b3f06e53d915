/** An expiry written as epoch seconds, epoch ms or an ISO date, as epoch ms; undefined when unreadable. */
export function parseExpiry(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const numeric = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : undefined;
  if (numeric !== undefined) return numeric < 1e12 ? numeric * 1000 : numeric;
  const date = Date.parse(String(value));
  return Number.isNaN(date) ? undefined : date;
}
