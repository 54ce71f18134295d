import { readFileSync } from 'node:fs';
import { featureItems, launchBrowser, mapCenterPoint, newPerson, openMap } from './e2e/support/browser.ts';

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
const bo = await newPerson(browser, 'Bo');
await openMap(ada, link);
lap('ada open');
await openMap(bo, link);
lap('bo open');
await ada.page.getByTestId('tool-marker').click();
lap('tool click');
const c1 = await mapCenterPoint(ada.page);
await ada.page.mouse.click(c1.x, c1.y);
lap('map click');
while ((await featureItems(bo.page).count()) !== 1) await new Promise((r) => setTimeout(r, 20));
lap('bo sees');
await ada.page.getByTestId('feature-delete').click();
lap('delete click');
while ((await featureItems(bo.page).count()) !== 0) await new Promise((r) => setTimeout(r, 20));
lap('bo sees delete');
await browser.close();
