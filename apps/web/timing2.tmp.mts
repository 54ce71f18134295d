import { readFileSync } from 'node:fs';
import { launchBrowser, newPerson } from './e2e/support/browser.ts';

const c = JSON.parse(readFileSync('/tmp/cluster.json', 'utf8'));
const t0 = Date.now();
const lap = (s: string) => console.log(s, Date.now() - t0);
const res = await fetch(c.realtime[0] + '/api/maps', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'T' }),
});
const created = await res.json();
const link = `${c.web[0]}/m/${created.map.id}?key=${created.editKey}`;
const browser = await launchBrowser();
lap('launch');
const ada = await newPerson(browser, 'Ada');
ada.page.on('requestfinished', (r) => {
  if (r.url().includes('basemap') || r.url().includes('worker')) lap('req ' + r.url().slice(-30));
});
await ada.page.goto(link);
lap('goto');
await ada.page.getByTestId('name-input').waitFor();
lap('name dialog');
await ada.page.getByTestId('name-input').fill('Ada');
await ada.page.getByTestId('name-submit').click();
lap('submitted');
await ada.page.locator('[data-testid=connection-status][data-status=open]').waitFor();
lap('open');
await ada.page.locator('[data-testid=map][data-ready=true]').waitFor({ timeout: 60000 });
lap('ready');
await ada.page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => r())));
lap('raf');
await browser.close();
