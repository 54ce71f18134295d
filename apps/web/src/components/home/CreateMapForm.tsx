'use client';

import { useActionState } from 'react';
import { type CreateMapState, createMapAction } from '../../app/actions.ts';

export function CreateMapForm() {
  const [state, action, pending] = useActionState<CreateMapState, FormData>(createMapAction, {});
  return (
    <form action={action} className="create-form" aria-describedby={state.error ? 'create-error' : undefined}>
      <label htmlFor="map-name">Map name</label>
      <div className="row">
        <input
          id="map-name"
          name="name"
          data-testid="map-name-input"
          required
          maxLength={80}
          placeholder="Weekend in Lyon"
          defaultValue={state.name}
          autoComplete="off"
        />
        <button type="submit" className="primary" data-testid="create-map" disabled={pending}>
          {pending ? 'Creating…' : 'Create map'}
        </button>
      </div>
      {state.error ? (
        <p id="create-error" role="alert" className="error" data-testid="create-error">
          {state.error}
        </p>
      ) : null}
    </form>
  );
}
