/**
 * Durations and sizes as podman prints them (go-units HumanDuration and
 * HumanSizeWithPrecision with SI units).
 */
export function humanDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.round(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.round(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.round(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.round(hours / 24 / 30)} months`;
  return `${Math.round(hours / 24 / 365)} years`;
}

export function timeAgo(iso: string, now = Date.now()): string {
  return `${humanDuration(now - Date.parse(iso))} ago`;
}

/**
 * go-units' sizes, SI units: `digits` significant digits and a space
 * ("1.99 MB", podman's images and ps), or with `compact` four digits and
 * none ("1.998MB", podman's system df).
 */
export function humanSize(bytes: number, compact = false): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  if (compact) return `${Number(value.toPrecision(4))}${units[i]}`;
  // Three significant digits, as go-units' %.4g with precision 3.
  const text = i === 0 ? String(value) : Number(value.toPrecision(3)).toString();
  return `${text} ${units[i]}`;
}
