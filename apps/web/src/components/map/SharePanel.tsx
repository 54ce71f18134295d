'use client';

import { useId, useState } from 'react';

import type { ViewLinkResult } from '../../app/m/[mapId]/actions.ts';

interface SharePanelProps {
  links: { edit: string; view: string | null };
  /** Mints a fresh view link (server side) when this device does not know the map's view key. */
  requestViewLink(): Promise<ViewLinkResult>;
  /** Keeps a minted link for the rest of the session, so reopening the panel does not mint again. */
  onViewLink(path: string): void;
  onClose(): void;
}

function LinkField({
  label,
  path,
  testId,
  hint,
}: {
  label: string;
  path: string;
  testId: string;
  hint: string;
}) {
  const id = useId();
  // The panel only renders after a click, in the browser: the absolute link is known at once, so
  // nobody (a person copying fast, or a test) ever sees the bare path.
  const url = typeof window === 'undefined' ? path : new URL(path, window.location.origin).href;
  const [copied, setCopied] = useState(false);
  return (
    <div className="share-link">
      <label htmlFor={id}>{label}</label>
      <p className="muted">{hint}</p>
      <div className="row">
        <input id={id} readOnly value={url} data-testid={testId} onFocus={(event) => event.target.select()} />
        <button
          type="button"
          className="small"
          onClick={() => {
            void navigator.clipboard?.writeText(url).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}

/**
 * Asks for a new view link, then copies it. View keys are stored hashed, so only the device that
 * created the map remembers the original; any editor elsewhere gets a fresh one instead.
 */
function RequestViewLink({
  requestViewLink,
  onViewLink,
}: Pick<SharePanelProps, 'requestViewLink' | 'onViewLink'>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="share-link">
      <p className="muted">Anyone with a view link can watch, not change.</p>
      <button
        type="button"
        className="small"
        data-testid="share-view-create"
        disabled={pending}
        onClick={() => {
          setPending(true);
          setError(null);
          requestViewLink()
            .then((result) => {
              if (!result.ok) {
                setError(result.message);
                return;
              }
              onViewLink(result.path);
              // Copying may be refused (no permission, or the click's activation has lapsed):
              // the link is shown in the panel either way.
              void navigator.clipboard
                ?.writeText(new URL(result.path, window.location.origin).href)
                .catch(() => {});
            })
            .catch(() => setError('Could not create a view link. Try again.'))
            .finally(() => setPending(false));
        }}
      >
        {pending ? 'Creating view link…' : 'Copy view link'}
      </button>
      {error ? (
        <p role="alert" className="muted" data-testid="share-view-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Both share links, for people who can edit. */
export function SharePanel({ links, requestViewLink, onViewLink, onClose }: SharePanelProps) {
  const titleId = useId();
  return (
    <div className="popover share" role="dialog" aria-labelledby={titleId} data-testid="share-panel">
      <header>
        <h2 id={titleId}>Share this map</h2>
        <button type="button" className="ghost small" aria-label="Close sharing" onClick={onClose}>
          ×
        </button>
      </header>
      <LinkField
        label="Edit link"
        path={links.edit}
        testId="share-edit-link"
        hint="Anyone with this link can change the map."
      />
      {links.view ? (
        <LinkField
          label="View link"
          path={links.view}
          testId="share-view-link"
          hint="Anyone with this link can watch, not change."
        />
      ) : (
        <RequestViewLink requestViewLink={requestViewLink} onViewLink={onViewLink} />
      )}
    </div>
  );
}
