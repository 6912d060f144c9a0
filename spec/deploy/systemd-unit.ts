/**
 * Reads a systemd unit file as systemd does for the parts a test needs: sections,
 * repeated keys in order, comments (# and ;) and backslash line continuations.
 * An empty assignment (`Key=`) is kept as '' because it means "reset / none".
 */
export interface Unit {
  /** Every value of `key` in `section`, in file order. */
  get(section: string, key: string): string[];
}

export function parseUnit(text: string): Unit {
  const entries: Array<{ section: string; key: string; value: string }> = [];
  let section = '';
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not a unit file line: ${line}`);
    entries.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return {
    get: (s, k) => entries.filter((e) => e.section === s && e.key === k).map((e) => e.value),
  };
}
