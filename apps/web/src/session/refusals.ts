import { ErrorCode, type Feature, type Layer, type Op } from '@meridian/protocol';
import type { OpRejectedEvent } from '@meridian/protocol/client';

/** What a person is told about an edit the server refused for good, with the raw detail apart. */
export interface RefusalNotice {
  /** One sentence naming the edit and the reason, e.g. "Your move of 'Meeting point' was refused: …". */
  text: string;
  /** The server's code and message, shown on request. */
  detail: string;
}

const REASONS: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.FEATURE_NOT_FOUND]: 'someone else deleted it.',
  [ErrorCode.FEATURE_EXISTS]: 'something with the same id is already on the map.',
  [ErrorCode.FORBIDDEN]: 'this link only lets you view the map.',
  [ErrorCode.TOKEN_INVALID]: 'your access to this map has ended. Reload the page to continue.',
  [ErrorCode.MAP_NOT_FOUND]: 'this map no longer exists.',
  [ErrorCode.LAYER_NOT_FOUND]: 'someone else removed that layer.',
  [ErrorCode.LAYER_EXISTS]: 'that layer is already on the map.',
  [ErrorCode.TOO_MANY_LAYERS]: 'this map has as many live layers as it can hold.',
  [ErrorCode.INVALID_MESSAGE]: 'the change is not valid.',
  [ErrorCode.FRAME_TOO_LARGE]: 'the change is too large.',
  [ErrorCode.OP_ID_REUSED]: 'it clashed with an earlier change. Please make it again.',
  [ErrorCode.INTERNAL]: 'the server failed. Please make it again.',
};

/** Where the edit's subject is looked up by id (the current view, before the refusal is undone). */
export interface RefusalContext {
  features: ReadonlyMap<string, Feature>;
  layers: ReadonlyMap<string, Layer>;
}

const KIND_NOUN: Record<Feature['geometry']['type'], string> = {
  Point: 'marker',
  LineString: 'line',
  Polygon: 'area',
  MultiPoint: 'set of markers',
  MultiLineString: 'set of lines',
  MultiPolygon: 'set of areas',
  GeometryCollection: 'set of shapes',
};

function featureName(feature: Feature | undefined, fallback: string): string {
  const title = feature?.properties.title?.trim();
  if (title) return `'${title}'`;
  return feature ? `this ${KIND_NOUN[feature.geometry.type]}` : fallback;
}

/** "your move of 'Meeting point'", "your new marker 'Café'", "renaming the map to 'Lyon'". */
export function describeEdit(op: Op, context: RefusalContext): string {
  switch (op.kind) {
    case 'feature.create':
      return `Your new ${KIND_NOUN[op.feature.geometry.type]}${op.feature.properties.title ? ` '${op.feature.properties.title}'` : ''}`;
    case 'feature.update':
      return `Your edit of ${featureName(context.features.get(op.id), 'a feature')}`;
    case 'feature.move':
      return `Your move of ${featureName(context.features.get(op.id), 'a feature')}`;
    case 'feature.delete':
      return `Your deletion of ${featureName(context.features.get(op.id), 'a feature')}`;
    case 'map.rename':
      return `Renaming the map to '${op.name}'`;
    case 'layer.add':
      return `Adding the ${op.layer.kind === 'feed' ? 'live ' : ''}layer '${op.layer.name}'`;
    case 'layer.update':
      return `Your change to the layer '${context.layers.get(op.id)?.name ?? op.id}'`;
    case 'layer.remove': {
      const layer = context.layers.get(op.id);
      return `Removing the ${layer?.kind === 'user' ? '' : 'live '}layer '${layer?.name ?? op.id}'`;
    }
    case 'layer.entries':
      return 'A live-feed update';
    case 'features.import':
      return `Your import of ${op.features.length} feature${op.features.length === 1 ? '' : 's'}`;
    case 'features.delete':
      return `Your deletion of ${op.ids.length} feature${op.ids.length === 1 ? '' : 's'}`;
  }
}

/** The notice for a final refusal; transient ones are retried by the client and not shown. */
export function refusalNotice(event: OpRejectedEvent, context: RefusalContext): RefusalNotice {
  const reason = REASONS[event.code] ?? `${event.message.replace(/\.?$/, '.')}`;
  return {
    text: `${describeEdit(event.op, context)} was refused: ${reason}`,
    detail: `${event.code}: ${event.message} (op ${event.opId})`,
  };
}
