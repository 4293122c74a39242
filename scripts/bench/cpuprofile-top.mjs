// Summarises a .cpuprofile (node --cpu-prof): self time per function and per file, top N.
// Usage: node scripts/bench/cpuprofile-top.mjs <file.cpuprofile> [N]
import fs from 'node:fs';

const [file, count = '25'] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
}
const byFunction = new Map();
const byFile = new Map();
for (const [id, us] of self) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '') || '(native)';
  const fn = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}:${callFrame.columnNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byFile.set(where, (byFile.get(where) ?? 0) + us);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const show = (title, map) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(1)} ms)`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
    console.log(`${(us / 1000).toFixed(2).padStart(8)} ms  ${name}`);
  }
};
show('self time by function', byFunction);
show('self time by file', byFile);
