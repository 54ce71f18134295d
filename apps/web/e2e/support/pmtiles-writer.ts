import { Compression, TileType, zxyToTileId } from 'pmtiles';

/**
 * Write a PMTiles v3 archive (one root directory, uncompressed) from a handful of tiles, so the
 * self-hosting test needs no download. The `pmtiles` package reads archives but does not write
 * them; the browser reading this one through that package is what checks the layout, which
 * follows the v3 spec: a 127-byte header, the root directory, JSON metadata, then tile data.
 */
export function writePmtiles(
  tiles: { z: number; x: number; y: number; data: Uint8Array }[],
  bounds: { west: number; south: number; east: number; north: number },
): Buffer {
  const entries = tiles
    .map((tile) => ({ tileId: zxyToTileId(tile.z, tile.x, tile.y), data: tile.data }))
    .sort((a, b) => a.tileId - b.tileId);
  let offset = 0;
  const placed = entries.map((entry) => {
    const at = { tileId: entry.tileId, offset, length: entry.data.length };
    offset += entry.data.length;
    return at;
  });
  const directory = serializeDirectory(placed);
  const metadata = Buffer.from(JSON.stringify({ vector_layers: [] }));
  const tileData = Buffer.concat(entries.map((entry) => Buffer.from(entry.data)));
  const zooms = tiles.map((t) => t.z);
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'ascii');
  header.writeUInt8(3, 7);
  const rootOffset = 127;
  const metadataOffset = rootOffset + directory.length;
  const dataOffset = metadataOffset + metadata.length;
  const u64 = (value: number, at: number) => header.writeBigUInt64LE(BigInt(value), at);
  u64(rootOffset, 8);
  u64(directory.length, 16);
  u64(metadataOffset, 24);
  u64(metadata.length, 32);
  u64(dataOffset, 40); // no leaf directories: offset of an empty section
  u64(0, 48);
  u64(dataOffset, 56);
  u64(tileData.length, 64);
  u64(entries.length, 72);
  u64(entries.length, 80);
  u64(entries.length, 88);
  header.writeUInt8(1, 96); // clustered: tiles are in tile-id order
  header.writeUInt8(Compression.None, 97);
  header.writeUInt8(Compression.None, 98);
  header.writeUInt8(TileType.Mvt, 99);
  header.writeUInt8(Math.min(...zooms), 100);
  header.writeUInt8(Math.max(...zooms), 101);
  const e7 = (degrees: number) => Math.round(degrees * 1e7);
  header.writeInt32LE(e7(bounds.west), 102);
  header.writeInt32LE(e7(bounds.south), 106);
  header.writeInt32LE(e7(bounds.east), 110);
  header.writeInt32LE(e7(bounds.north), 114);
  header.writeUInt8(Math.max(...zooms), 118);
  header.writeInt32LE(e7((bounds.west + bounds.east) / 2), 119);
  header.writeInt32LE(e7((bounds.south + bounds.north) / 2), 123);
  return Buffer.concat([header, directory, metadata, tileData]);
}

function serializeDirectory(entries: { tileId: number; offset: number; length: number }[]): Buffer {
  const bytes: number[] = [];
  const varint = (value: number) => {
    let v = value;
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
  };
  varint(entries.length);
  let last = 0;
  for (const entry of entries) {
    varint(entry.tileId - last);
    last = entry.tileId;
  }
  for (const _ of entries) varint(1); // run length
  for (const entry of entries) varint(entry.length);
  entries.forEach((entry, i) => {
    const previous = entries[i - 1];
    // 0 means "right after the previous tile"; otherwise offset + 1.
    varint(previous && entry.offset === previous.offset + previous.length ? 0 : entry.offset + 1);
  });
  return Buffer.from(bytes);
}
