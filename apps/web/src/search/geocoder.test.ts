import { describe, expect, it } from 'vitest';
import { geocoderRequestUrl, parseGeocoderResponse } from './geocoder.ts';

describe('geocoderRequestUrl', () => {
  it("builds each service's search URL", () => {
    expect(geocoderRequestUrl('photon', 'https://photon.komoot.io', 'Lyon', 'fr')).toBe(
      'https://photon.komoot.io/api?q=Lyon&limit=5&lang=fr',
    );
    expect(geocoderRequestUrl('nominatim', 'https://nominatim.example/', 'Lyon gare', 'en')).toBe(
      'https://nominatim.example/search?q=Lyon+gare&limit=5&format=jsonv2&accept-language=en',
    );
  });
});

describe('parseGeocoderResponse', () => {
  it('reads Photon GeoJSON, turning its extent into west/south/east/north', () => {
    const result = parseGeocoderResponse('photon', {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [4.8320114, 45.7578137] },
          properties: {
            name: 'Lyon',
            state: 'Auvergne-Rhône-Alpes',
            country: 'France',
            extent: [4.77, 45.81, 4.9, 45.7],
          },
        },
      ],
    });
    expect(result).toEqual({
      ok: true,
      places: [
        {
          name: 'Lyon',
          detail: 'Auvergne-Rhône-Alpes, France',
          lng: 4.8320114,
          lat: 45.7578137,
          bbox: [4.77, 45.7, 4.9, 45.81],
        },
      ],
    });
  });

  it('reads Nominatim JSON', () => {
    const result = parseGeocoderResponse('nominatim', [
      {
        lat: '45.7578137',
        lon: '4.8320114',
        name: 'Lyon',
        display_name: 'Lyon, Métropole de Lyon, France',
        boundingbox: ['45.7073666', '45.8082628', '4.7718134', '4.8983774'],
      },
    ]);
    expect(result.ok && result.places[0]).toEqual({
      name: 'Lyon',
      detail: 'Métropole de Lyon, France',
      lng: 4.8320114,
      lat: 45.7578137,
      bbox: [4.7718134, 45.7073666, 4.8983774, 45.8082628],
    });
  });

  it('refuses an answer of the wrong shape', () => {
    expect(parseGeocoderResponse('photon', { nope: 1 })).toEqual({
      ok: false,
      error: 'unexpected answer from the Photon geocoder',
    });
    expect(parseGeocoderResponse('nominatim', { features: [] }).ok).toBe(false);
  });
});
