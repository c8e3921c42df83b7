// Human-readable ages, durations and sizes, shared by the status page and `hddt-gateway status`.

/** 42 s, 5 min, 3 h 10 min, 2 d 4 h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "5 min ago" / "in 3 d 2 h". */
export function formatAgo(seconds: number): string {
  return seconds >= 0 ? `${formatDuration(seconds)} ago` : `in ${formatDuration(-seconds)}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatPercent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

/** A reading's value as the device reported it: "123 mg/dL", "< 40 mg/dL" (LO), "error (sensor-malfunction)". */
export function formatReading(r: {
  value: number | null;
  unit: string | null;
  flag: string | null;
  flagReason: string | null;
}): string {
  if (r.flag === 'error' || r.value === null) return `error${r.flagReason ? ` (${r.flagReason})` : ''}`;
  const prefix = r.flag === 'low' ? '< ' : r.flag === 'high' ? '> ' : '';
  const value = r.unit === 'mmol/L' ? r.value.toFixed(1) : String(Math.round(r.value));
  return `${prefix}${value} ${r.unit ?? ''}`.trim();
}
