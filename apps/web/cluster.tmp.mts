import { mkdirSync, writeFileSync } from 'node:fs';
import { startCluster } from './e2e/support/cluster.ts';

mkdirSync('/tmp/clusterlogs', { recursive: true });
const c = await startCluster({
  repoRoot: '/work/main',
  webDir: '/work/main/apps/web',
  logDir: '/tmp/clusterlogs',
  buildReady: Promise.resolve(),
});
writeFileSync('/tmp/cluster.json', JSON.stringify(c));
console.log(JSON.stringify(c));
process.on('SIGTERM', async () => {
  await c.stop();
  process.exit(0);
});
setInterval(() => {}, 1000);
