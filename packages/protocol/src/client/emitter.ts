import { createNanoEvents } from 'nanoevents';

type Listener = (...args: never[]) => void;

/**
 * The client's typed events, on nanoevents (the same small library the realtime service uses),
 * with one addition: a listener that throws is reported and skipped, so an app's bug cannot break
 * the client's own state machine halfway through an emit.
 */
export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #events = createNanoEvents<{ [K in keyof Events]: (...args: Parameters<Events[K]>) => void }>();

  /** Listen to `event`; returns the function that stops listening. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    const call = listener as unknown as (...args: Parameters<Events[K]>) => void;
    return this.#events.on(event, ((...args: Parameters<Events[K]>) => {
      try {
        call(...args);
      } catch (error) {
        console.error(`[meridian] listener for "${String(event)}" threw`, error);
      }
    }) as never);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    (this.#events.emit as (event: K, ...args: Parameters<Events[K]>) => void)(event, ...args);
  }
}
