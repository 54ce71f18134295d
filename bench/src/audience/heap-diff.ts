/**
 * What the heap gained between two V8 heap snapshots, by constructor: the audience run writes
 * each node's before and after the viewers joined (`--heap-snapshots=dir`), and this says what
 * holds the memory per viewer.
 *
 *   tsx src/audience/heap-diff.ts before.heapsnapshot after.heapsnapshot [viewers] [top=25]
 */
import { readFileSync } from 'node:fs';

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Group {
  count: number;
  bytes: number;
}

/** Self size and count per "type:name" (objects by constructor, strings, arrays, code...). */
export function groups(file: string): Map<string, Group> {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshotFile;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, Group>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt] ?? 0] ?? '?';
    const raw = heap.strings[heap.nodes[i + nameAt] ?? 0] ?? '';
    // Strings and numbers are named by their value: group them by type only.
    const name = type === 'object' || type === 'closure' || type === 'native' ? raw.slice(0, 60) : '';
    const key = `${type}:${name}`;
    const group = out.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += heap.nodes[i + sizeAt] ?? 0;
    out.set(key, group);
  }
  return out;
}

export function diff(before: Map<string, Group>, after: Map<string, Group>) {
  const rows: { key: string; count: number; bytes: number }[] = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    rows.push({ key, count: a.count - b.count, bytes: a.bytes - b.bytes });
  }
  return rows.sort((x, y) => y.bytes - x.bytes);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const [beforeFile, afterFile, viewersArg, topArg] = process.argv.slice(2);
  if (!beforeFile || !afterFile) {
    process.stderr.write('usage: heap-diff.ts before.heapsnapshot after.heapsnapshot [viewers] [top]\n');
    process.exit(2);
  }
  const viewers = Number(viewersArg ?? 1);
  const rows = diff(groups(beforeFile), groups(afterFile));
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  process.stdout.write(
    `| what (type:constructor) | objects gained | bytes gained | bytes per viewer |\n|---|---:|---:|---:|\n`,
  );
  for (const row of rows.slice(0, Number(topArg ?? 25)))
    process.stdout.write(
      `| ${row.key} | ${row.count} | ${row.bytes} | ${(row.bytes / viewers).toFixed(0)} |\n`,
    );
  process.stdout.write(`| total | | ${total} | ${(total / viewers).toFixed(0)} |\n`);
}
