import type { Role, ServerMessage } from '@meridian/protocol';
import type { RoomMember } from '../rooms/room-member.ts';
import type { Outbox } from './outbox.ts';
import type { Session } from './session.ts';

/**
 * A session as a member of the room it joined: what the room does to a member goes through the
 * outbox (encoding, metrics, the slow-consumer policy) to the session's uWS socket. One per join.
 */
export class SessionMember implements RoomMember {
  readonly session: Session;
  readonly role: Role;
  readonly #outbox: Outbox;

  constructor(session: Session, role: Role, outbox: Outbox) {
    this.session = session;
    this.role = role;
    this.#outbox = outbox;
  }

  get clientId(): string {
    return this.session.clientId;
  }

  get personId(): string {
    return this.session.client?.personId ?? this.session.clientId;
  }

  get name(): string {
    return this.session.client?.name ?? '';
  }

  get color(): string {
    return this.session.client?.color ?? '';
  }

  get live(): boolean {
    return this.session.isOpen;
  }

  send(message: ServerMessage): boolean {
    return this.#outbox.send(this.session, message);
  }

  bufferedAmount(): number {
    return this.session.ws?.getBufferedAmount() ?? 0;
  }

  publish(topic: string, message: ServerMessage): void {
    this.#outbox.publish(topic, message, this.session);
  }

  subscribe(topic: string): void {
    this.#outbox.subscribe(this.session, topic);
  }

  unsubscribe(topic: string): void {
    this.#outbox.unsubscribe(this.session, topic);
  }

  isSubscribed(topic: string): boolean {
    return this.session.stats.isOn(topic);
  }

  countVolatileDropped(): void {
    this.session.stats.volatileDropped++;
  }

  closeSlow(): void {
    this.#outbox.closeSlowConsumer(this.session);
  }
}
