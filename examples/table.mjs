// The examples' one shared helper: prints rows of equal keys as an aligned text table.
export function printTable(items) {
  const cols = Object.keys(items[0]);
  const width = cols.map((c) => Math.max(c.length, ...items.map((it) => String(it[c]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(width[i])).join('  ').trimEnd();
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const it of items) console.log(line(cols.map((c) => it[c])));
}
