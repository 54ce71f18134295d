'use client';

import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { checkDisplayName } from '../../presence/identity.ts';

interface NameDialogProps {
  initialName: string;
  /** Shown while joining for the first time; editing later can be cancelled. */
  onCancel: (() => void) | null;
  onSubmit(name: string): void;
}

/** Asks once for the name others will see next to this person's cursor. */
export function NameDialog({ initialName, onCancel, onSubmit }: NameDialogProps) {
  const [name, setName] = useState(initialName);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const errorId = useId();

  useEffect(() => input.current?.focus(), []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = checkDisplayName(name);
    if (!checked.ok) {
      setError(checked.message);
      return;
    }
    onSubmit(checked.name);
  };

  return (
    <div className="dialog-backdrop">
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        className="dialog"
        onSubmit={submit}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && onCancel) onCancel();
        }}
      >
        <h2 id={titleId}>What should others call you?</h2>
        <label htmlFor="display-name">Your name</label>
        <input
          id="display-name"
          ref={input}
          data-testid="name-input"
          value={name}
          maxLength={80}
          autoComplete="nickname"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          onChange={(event) => setName(event.target.value)}
        />
        {error ? (
          <p id={errorId} className="error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          {onCancel ? (
            <button type="button" className="ghost" onClick={onCancel}>
              Cancel
            </button>
          ) : null}
          <button type="submit" className="primary" data-testid="name-submit">
            {onCancel ? 'Save' : 'Join map'}
          </button>
        </div>
      </form>
    </div>
  );
}
