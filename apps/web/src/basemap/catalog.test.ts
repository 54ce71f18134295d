import { describe, expect, it } from 'vitest';
import { basemapCatalog, chooseBasemap, OFFLINE_BASEMAP_ID, parseMapStyles } from './catalog.ts';

describe('basemapCatalog', () => {
  it('defaults to OpenFreeMap streets and always offers the offline basemap', () => {
    const { basemaps, defaultId } = basemapCatalog(undefined, []);
    expect(defaultId).toBe('streets');
    expect(basemaps.map((b) => b.id)).toEqual(['streets', 'light', 'dark', OFFLINE_BASEMAP_ID]);
    expect(basemaps.find((b) => b.id === 'streets')?.url).toBe(
      'https://tiles.openfreemap.org/styles/liberty',
    );
  });

  it('makes MAP_STYLE_URL the default, or the offline basemap when it says so', () => {
    expect(basemapCatalog('offline', []).defaultId).toBe(OFFLINE_BASEMAP_ID);
    const own = basemapCatalog('https://tiles.example/style.json', []);
    expect(own.defaultId).toBe('default');
    expect(own.basemaps[0]).toEqual({
      id: 'default',
      name: 'Default',
      url: 'https://tiles.example/style.json',
    });
  });

  it('adds configured styles with ids that never collide', () => {
    const { basemaps } = basemapCatalog(undefined, [
      { name: 'Satellite', url: 'https://a.example/s.json' },
      { name: 'Streets', url: 'https://b.example/s.json' },
    ]);
    expect(basemaps.slice(-2).map((b) => b.id)).toEqual(['satellite', 'streets-2']);
  });
});

describe('chooseBasemap', () => {
  const { basemaps, defaultId } = basemapCatalog(undefined, []);
  it('keeps a stored choice that still exists, else the default', () => {
    expect(chooseBasemap(basemaps, defaultId, 'dark').id).toBe('dark');
    expect(chooseBasemap(basemaps, defaultId, 'gone').id).toBe('streets');
    expect(chooseBasemap(basemaps, defaultId, null).id).toBe('streets');
  });
});

describe('parseMapStyles', () => {
  it('reads Name=url pairs and JSON', () => {
    expect(
      parseMapStyles('Satellite=https://x.example/s.json?key=a=b; Topo=http://y.example/t.json'),
    ).toEqual([
      { name: 'Satellite', url: 'https://x.example/s.json?key=a=b' },
      { name: 'Topo', url: 'http://y.example/t.json' },
    ]);
    expect(parseMapStyles('[{"name":"Own","url":"https://z.example/s.json"}]')).toEqual([
      { name: 'Own', url: 'https://z.example/s.json' },
    ]);
  });

  it('names the entry that is wrong', () => {
    expect(() => parseMapStyles('Good=https://x.example/s.json;Bad=ftp://y')).toThrow(/entry 2/);
    expect(() => parseMapStyles('just-a-name')).toThrow(/entry 1/);
  });
});
