'use client';

export interface Toast {
  id: number;
  tone: 'info' | 'error';
  message: string;
  /** The raw reason (code, server message), behind a "Details" toggle. */
  detail?: string;
}

/** Readable messages: server errors and rejected edits are always shown, never swallowed. */
export function Toasts({ toasts, onDismiss }: { toasts: Toast[]; onDismiss(id: number): void }) {
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((toast) => (
        <div
          key={toast.id}
          className={`toast ${toast.tone}`}
          role={toast.tone === 'error' ? 'alert' : 'status'}
          data-testid="toast"
          data-tone={toast.tone}
        >
          <div className="toast-body">
            <span>{toast.message}</span>
            {toast.detail ? (
              <details className="toast-detail" data-testid="toast-detail">
                <summary>Details</summary>
                <code>{toast.detail}</code>
              </details>
            ) : null}
          </div>
          <button
            type="button"
            className="ghost small"
            aria-label="Dismiss message"
            onClick={() => onDismiss(toast.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
