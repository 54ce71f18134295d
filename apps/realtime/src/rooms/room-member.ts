import type { Role, ServerMessage } from '@meridian/protocol';

/**
 * What a room needs of one of its members (a socket on the map): who it is, a way to send to it,
 * how full its send buffer is, and its place on the map's topics. The connection layer implements
 * it over a uWS socket (connection/session-member.ts); a test implements it without one.
 */
export interface RoomMember {
  /** Its presence key: unique per client, though a reconnecting client may briefly hold two members. */
  readonly clientId: string;
  /** The person it belongs to: tabs of one browser profile share it (and their colour). */
  readonly personId: string;
  readonly role: Role;
  /** The name it shows to others and the colour it asks for (from its `hello`). */
  readonly name: string;
  readonly color: string;
  /** Whether it can still be sent to (open, and no decision to close it yet). */
  readonly live: boolean;
  /** Send one message; false when it was not sent (closed, or a volatile message dropped). */
  send(message: ServerMessage): boolean;
  /** Bytes waiting in its send buffer (backpressure). */
  bufferedAmount(): number;
  /** Publish to a topic's subscribers other than this member. */
  publish(topic: string, message: ServerMessage): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  isSubscribed(topic: string): boolean;
  /** A volatile message was not sent to it (counted for operators). */
  countVolatileDropped(): void;
  /**
   * It could not take a durable message: it gets nothing more and is closed (4008, then it
   * resumes from its last seq) once what is queued for it has left.
   */
  closeSlow(): void;
}

/** How a room reaches every member subscribed to one of its topics. */
export interface RoomTopics {
  publish(topic: string, message: ServerMessage): void;
}
