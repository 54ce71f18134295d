'use client';

import type { Feature } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { useDeferredValue, useMemo, useState } from 'react';
import { ANY_FIELD, filterFeatures } from '../../../search/feature-filter.ts';
import { useClientVersion } from '../../../session/use-client.ts';
import { attributeColumns } from '../../../table/attribute-columns.ts';

const NO_FEATURES: ReadonlyMap<string, Feature> = new Map();

export interface FeatureFilterState {
  query: string;
  setQuery(query: string): void;
  /** The property searched, or `ANY_FIELD`. */
  field: string;
  setField(field: string): void;
  /** Every property key on the map (the fields one may filter by), once `wantKeys` was called. */
  keys: string[];
  /** The field picker is about to be used: gather the keys (a pass over every feature). */
  wantKeys(): void;
  /** What the list and the table show: all features newest first, or the matches. */
  matches: Feature[];
  total: number;
  filtering: boolean;
}

/** The feature list's and the attribute table's shared filter over every feature of the map. */
export function useFeatureFilter(client: MeridianClient | null): FeatureFilterState {
  const version = useClientVersion(client, ['featuresChanged']);
  const [query, setQuery] = useState('');
  const [field, setField] = useState(ANY_FIELD);
  // Gathering every key costs a pass over all features: not on every change of a big map,
  // only once someone opens the field picker.
  const [keysWanted, setKeysWanted] = useState(false);
  // Typing stays responsive on a big map: the filter runs on the deferred query.
  const deferredQuery = useDeferredValue(query);
  const features = client?.features ?? NO_FEATURES;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` says the client's live map changed in place.
  const matches = useMemo(
    () => filterFeatures(features, deferredQuery, field),
    [features, deferredQuery, field, version],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: as above.
  const keys = useMemo(
    () => (keysWanted ? attributeColumns(features.values()).columns : []),
    [keysWanted, features, version],
  );
  return {
    query,
    setQuery,
    field,
    setField,
    keys,
    wantKeys: () => setKeysWanted(true),
    matches,
    total: features.size,
    filtering: deferredQuery.trim() !== '',
  };
}
