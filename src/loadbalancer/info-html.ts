/**
 * /info/html: the registry as a table for a person, reloading itself every 10 s.
 * Every value is escaped: a server's name is whatever a key holder sent, and must
 * not become markup in an operator's browser.
 */
import type { ServerEntry } from './registry.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export function infoHtml(servers: ServerEntry[], version: string, now: Date): string {
  const rows = servers
    .map((s) => {
      const cells = [s.name, s.version, s.cpus, s.rooms, s.capacity, new Date(s.timestamp * 1000).toISOString()];
      return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="10">
<title>loadbalancer ${escapeHtml(version)}</title>
</head>
<body>
<p><b>Now:</b> ${escapeHtml(now.toISOString())} · ${servers.length} server(s)</p>
<table style="width:100%;text-align:left">
<thead><tr><th>Server</th><th>Version</th><th>CPUs</th><th>Rooms</th><th>Capacity</th><th>Last heartbeat</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
