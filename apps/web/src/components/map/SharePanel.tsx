'use client';

import { useEffect, useId, useState } from 'react';

interface SharePanelProps {
  links: { edit: string; view: string | null };
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
  const [url, setUrl] = useState(path);
  const [copied, setCopied] = useState(false);
  useEffect(() => setUrl(new URL(path, window.location.origin).href), [path]);
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

/** Both share links, for people who can edit. */
export function SharePanel({ links, onClose }: SharePanelProps) {
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
        <p className="muted" data-testid="share-view-missing">
          The view-only link is shown on the device that created this map.
        </p>
      )}
    </div>
  );
}
