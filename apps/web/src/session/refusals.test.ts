import { ErrorCode, type Feature } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { refusalNotice } from './refusals.ts';

const meetingPoint: Feature = {
  type: 'Feature',
  id: 'f-1',
  geometry: { type: 'Point', coordinates: [4.83, 45.76] },
  properties: { title: 'Meeting point' },
  version: 3,
};
const context = { features: new Map([[meetingPoint.id, meetingPoint]]), layers: new Map() };

describe('refusalNotice', () => {
  it('names the edit and says why in words, with the raw code and message apart', () => {
    const notice = refusalNotice(
      {
        opId: 'o-9',
        op: { kind: 'feature.move', id: 'f-1', geometry: { type: 'Point', coordinates: [0, 0] } },
        code: ErrorCode.FEATURE_NOT_FOUND,
        message: 'no feature f-1 on this map',
        final: true,
      },
      context,
    );
    expect(notice).toEqual({
      text: "Your move of 'Meeting point' was refused: someone else deleted it.",
      detail: 'FEATURE_NOT_FOUND: no feature f-1 on this map (op o-9)',
    });
  });

  it('falls back to the kind of feature, and to the server message for codes it has no words for', () => {
    const untitled = { ...meetingPoint, id: 'f-2', properties: {} };
    const notice = refusalNotice(
      {
        opId: 'o-1',
        op: { kind: 'feature.update', id: 'f-2', properties: { title: 'x' } },
        code: ErrorCode.NOT_JOINED,
        message: 'join the map first',
        final: true,
      },
      { features: new Map([[untitled.id, untitled]]), layers: new Map() },
    );
    expect(notice.text).toBe('Your edit of this marker was refused: join the map first.');
  });

  it('names new features and map renames by what they would have been', () => {
    const created = refusalNotice(
      {
        opId: 'o-2',
        op: {
          kind: 'feature.create',
          feature: { ...meetingPoint, id: 'f-3', properties: { title: 'Café' } },
        },
        code: ErrorCode.FORBIDDEN,
        message: 'view role',
        final: true,
      },
      context,
    );
    expect(created.text).toBe("Your new marker 'Café' was refused: this link only lets you view the map.");
    const renamed = refusalNotice(
      {
        opId: 'o-3',
        op: { kind: 'map.rename', name: 'Lyon' },
        code: ErrorCode.INVALID_MESSAGE,
        message: 'bad',
        final: true,
      },
      context,
    );
    expect(renamed.text).toBe("Renaming the map to 'Lyon' was refused: the change is not valid.");
  });
});
