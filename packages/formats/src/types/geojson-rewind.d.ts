// @mapbox/geojson-rewind ships no types: rewind(geojson, clockwise) winds rings in place and
// returns its argument (clockwise false: RFC 7946 outer rings counter-clockwise, holes clockwise).
declare module '@mapbox/geojson-rewind' {
  export default function rewind<T>(geojson: T, clockwise?: boolean): T;
}
