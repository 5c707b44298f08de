/**
 * Which socket is whose: one connection per participant and meeting, the
 * latest admitted one, so that the gate's roster and the open sockets agree.
 *
 * A connection goes admitting -> admitted -> open -> closed. It leaves the
 * roster (`gate.leave`) only when it closes while it is still the
 * participant's connection: a connection a later one replaced, or one a
 * restriction removed, is no longer on the roster under its name.
 */
import type { Decision, Gate, ParticipantRef } from '../../gate/index.js';

/** The part of a `ws` WebSocket the admission uses. */
export interface SocketLike {
  /** Close with a code and a reason. */
  close(code?: number, reason?: string): void;
}

/** One participant's upgrade, from admission to close. */
export interface Connection<S extends SocketLike> {
  readonly meetingId: string;
  readonly participantId: string;
  readonly hostAccountId: string | undefined;
  readonly gate: Gate;
  state: 'admitting' | 'admitted' | 'open' | 'closed';
  /** The WebSocket, once open. */
  socket: S | undefined;
  /** The removal that ended it, when a restriction removed the participant. */
  removed: Decision | undefined;
  /** True when a later connection of the same participant took its place. */
  replaced: boolean;
}

/** What the connections need from the admission: closing a socket, and where failures go. */
interface ConnectionHost<S extends SocketLike> {
  /** Close a removed participant's socket (tell them, then close with the removal code). */
  closeRemoved(connection: Connection<S>, socket: S, decision: Decision): void;
  /** Close a connection a later one of the same participant replaced. */
  closeReplaced(socket: S): void;
  /** A failure of the gate or of a callback, for the application's log. */
  failed(error: unknown): void;
}

// Lengths first: "a:b" + "c" and "a" + "b:c" stay two keys.
function keyOf(meetingId: string, participantId: string): string {
  return `${meetingId.length}:${meetingId}:${participantId}`;
}

/** The registry of connections of one admission. */
export class Connections<S extends SocketLike> {
  readonly #host: ConnectionHost<S>;
  // The participant's connection: the latest admitted one.
  readonly #current = new Map<string, Connection<S>>();
  // Upgrades being decided: a removal meanwhile must reach them too.
  readonly #admitting = new Map<string, Set<Connection<S>>>();
  readonly #bySocket = new WeakMap<S, Connection<S>>();

  constructor(host: ConnectionHost<S>) {
    this.#host = host;
  }

  /** An upgrade is about to be decided. */
  begin(gate: Gate, meetingId: string, participantId: string, hostAccountId: string | undefined): Connection<S> {
    const connection: Connection<S> = {
      meetingId,
      participantId,
      hostAccountId,
      gate,
      state: 'admitting',
      socket: undefined,
      removed: undefined,
      replaced: false,
    };
    const key = keyOf(meetingId, participantId);
    let set = this.#admitting.get(key);
    if (set === undefined) this.#admitting.set(key, (set = new Set()));
    set.add(connection);
    return connection;
  }

  /** The gate answered (admitted or not); the connection is no longer being decided. */
  #settle(connection: Connection<S>): void {
    const key = keyOf(connection.meetingId, connection.participantId);
    const set = this.#admitting.get(key);
    if (set?.delete(connection) && set.size === 0) this.#admitting.delete(key);
  }

  /** The gate denied the upgrade, or failed: nothing is on the roster for it. */
  refused(connection: Connection<S>): void {
    this.#settle(connection);
    connection.state = 'closed';
  }

  /**
   * The gate admitted the upgrade: the participant is on the roster, with
   * this connection's location, so it becomes theirs and an earlier one is
   * replaced. Returns false when it must not open: a restriction removed the
   * participant while it was being decided, or the client hung up meanwhile.
   */
  admitted(connection: Connection<S>): boolean {
    this.#settle(connection);
    if (connection.removed !== undefined) {
      connection.state = 'closed';
      return false;
    }
    const key = keyOf(connection.meetingId, connection.participantId);
    const previous = this.#current.get(key);
    this.#current.set(key, connection);
    if (previous !== undefined && previous !== connection) {
      previous.replaced = true;
      if (previous.socket !== undefined) this.#host.closeReplaced(previous.socket);
    }
    if (connection.state === 'closed') {
      this.#leave(connection);
      return false;
    }
    connection.state = 'admitted';
    return true;
  }

  /** The WebSocket opened. A removal or a replacement that came first closes it at once. */
  opened(connection: Connection<S>, socket: S): void {
    connection.socket = socket;
    this.#bySocket.set(socket, connection);
    if (connection.state === 'closed') return;
    connection.state = 'open';
    if (connection.removed !== undefined) this.#host.closeRemoved(connection, socket, connection.removed);
    else if (connection.replaced) this.#host.closeReplaced(socket);
  }

  /** The connection's TCP socket closed (before or after the WebSocket opened). */
  closed(connection: Connection<S>): void {
    if (connection.state === 'closed') return;
    const wasAdmitting = connection.state === 'admitting';
    connection.state = 'closed';
    // Still being decided: `admitted` sees the closed state and leaves then.
    if (!wasAdmitting) this.#leave(connection);
  }

  #leave(connection: Connection<S>): void {
    const key = keyOf(connection.meetingId, connection.participantId);
    if (this.#current.get(key) !== connection) return;
    this.#current.delete(key);
    try {
      connection.gate.leave(connection.meetingId, connection.participantId);
    } catch (error) {
      this.#host.failed(error);
    }
  }

  /**
   * A restriction removed the participant: their connection closes (now, or
   * as soon as it opens), and an upgrade still being decided will not open.
   * Returns whether any connection of theirs was here.
   */
  remove(participant: ParticipantRef, decision: Decision): boolean {
    const key = keyOf(participant.meetingId, participant.participantId);
    let found = false;
    for (const admitting of this.#admitting.get(key) ?? []) {
      admitting.removed = decision;
      found = true;
    }
    const connection = this.#current.get(key);
    if (connection === undefined) return found;
    // The gate took them off its roster: closing the socket must not leave again.
    this.#current.delete(key);
    connection.removed = decision;
    if (connection.state === 'open' && connection.socket !== undefined) this.#host.closeRemoved(connection, connection.socket, decision);
    return true;
  }

  /** The participant a socket belongs to, while it is theirs. */
  participantOf(socket: S): ParticipantRef | undefined {
    const connection = this.#bySocket.get(socket);
    if (connection === undefined || connection.state !== 'open' || connection.removed !== undefined || connection.replaced) return undefined;
    return refOf(connection);
  }

  /** The participant's open socket. */
  socketOf(meetingId: string, participantId: string): S | undefined {
    const connection = this.#current.get(keyOf(meetingId, participantId));
    return connection?.state === 'open' ? connection.socket : undefined;
  }
}

/** A connection's participant, as the gate names them. */
export function refOf(connection: Connection<SocketLike>): ParticipantRef {
  const ref: ParticipantRef = { meetingId: connection.meetingId, participantId: connection.participantId };
  if (connection.hostAccountId !== undefined) ref.hostAccountId = connection.hostAccountId;
  return ref;
}
