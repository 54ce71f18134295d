/**
 * The marker symbols offered in the style panel: a curated set of Maki icons (Mapbox, CC0,
 * https://github.com/mapbox/maki), bundled into `public/maki-icons.json` by
 * `scripts/prepare-public.ts`, so they draw offline. Each has words a person might search for.
 * A feature may name any Maki icon (imported data does); only these are drawn.
 */
export interface MakiIcon {
  name: string;
  words: string;
}

export const MAKI_ICONS: readonly MakiIcon[] = [
  { name: 'marker', words: 'pin point place' },
  { name: 'star', words: 'favourite favorite best' },
  { name: 'heart', words: 'love like' },
  { name: 'embassy', words: 'flag goal finish meeting' },
  { name: 'circle', words: 'dot round' },
  { name: 'triangle', words: 'shape' },
  { name: 'square', words: 'shape box' },
  { name: 'cross', words: 'x close' },
  { name: 'information', words: 'info help tourist' },
  { name: 'danger', words: 'warning caution alert hazard' },
  { name: 'home', words: 'house residence' },
  { name: 'building', words: 'office tower' },
  { name: 'town-hall', words: 'city hall mairie government' },
  { name: 'cafe', words: 'coffee tea' },
  { name: 'restaurant', words: 'food eat dinner lunch' },
  { name: 'fast-food', words: 'burger snack' },
  { name: 'bar', words: 'drink cocktail pub' },
  { name: 'beer', words: 'pub brewery drink' },
  { name: 'bakery', words: 'bread boulangerie' },
  { name: 'ice-cream', words: 'dessert gelato' },
  { name: 'grocery', words: 'supermarket food shop' },
  { name: 'shop', words: 'store shopping retail' },
  { name: 'lodging', words: 'hotel bed sleep hostel' },
  { name: 'campsite', words: 'camping tent' },
  { name: 'hospital', words: 'health emergency clinic' },
  { name: 'pharmacy', words: 'drugs medicine chemist' },
  { name: 'doctor', words: 'health medical' },
  { name: 'police', words: 'security' },
  { name: 'fire-station', words: 'firefighters emergency' },
  { name: 'school', words: 'education pupils' },
  { name: 'college', words: 'university campus education' },
  { name: 'library', words: 'books reading' },
  { name: 'museum', words: 'art gallery exhibition' },
  { name: 'theatre', words: 'theater stage show' },
  { name: 'cinema', words: 'movie film' },
  { name: 'music', words: 'concert venue' },
  { name: 'monument', words: 'memorial statue' },
  { name: 'castle', words: 'chateau fort palace' },
  { name: 'attraction', words: 'sight tourism' },
  { name: 'viewpoint', words: 'view lookout panorama' },
  { name: 'park', words: 'tree green' },
  { name: 'garden', words: 'flower plants' },
  { name: 'playground', words: 'children kids play' },
  { name: 'picnic-site', words: 'picnic table' },
  { name: 'swimming', words: 'pool swim' },
  { name: 'stadium', words: 'sport arena' },
  { name: 'mountain', words: 'peak summit hike' },
  { name: 'water', words: 'lake river drop' },
  { name: 'beach', words: 'sea sand' },
  { name: 'bicycle', words: 'bike cycling' },
  { name: 'bus', words: 'transit stop coach' },
  { name: 'rail', words: 'train station railway' },
  { name: 'rail-metro', words: 'subway underground metro' },
  { name: 'airport', words: 'plane flight airfield' },
  { name: 'ferry', words: 'boat ship port' },
  { name: 'car', words: 'auto vehicle drive' },
  { name: 'parking', words: 'car park' },
  { name: 'fuel', words: 'gas petrol station' },
  { name: 'charging-station', words: 'electric ev charge' },
  { name: 'toilet', words: 'wc restroom bathroom' },
  { name: 'drinking-water', words: 'fountain tap' },
  { name: 'place-of-worship', words: 'church temple mosque synagogue religion' },
  { name: 'post', words: 'mail letter office' },
  { name: 'bank', words: 'money atm' },
  { name: 'art-gallery', words: 'photo picture painting art' },
  { name: 'entrance', words: 'door way in' },
];

/** Icons whose name or words contain every word of the query, in catalogue order. */
export function searchIcons(query: string, icons: readonly MakiIcon[] = MAKI_ICONS): MakiIcon[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...icons];
  return icons.filter((icon) => {
    const haystack = `${icon.name.replaceAll('-', ' ')} ${icon.words}`;
    return words.every((word) => haystack.includes(word));
  });
}
