// The comparison baseline: the admission hook a competitor writes in an
// afternoon. Parse with ip-address, look up with maxmind's reader, check the
// country against a Set, emit an event. It is deliberately left as such a
// hook is usually written — including its bugs: with the ip-location-db
// databases `::ffff:1.2.4.8` finds no record and walks past a CN block, and
// the reader silently accepts spellings like `0x01.2.4.8`.
import { EventEmitter } from 'node:events';
import { Address4, Address6 } from 'ip-address';
import { Reader } from 'maxmind';

/** Build the naive hook over a database buffer; `blocked` are country codes denied on every meeting. */
export function createNaiveHook(buffer, blocked) {
  const reader = new Reader(buffer);
  const deny = new Set(blocked);
  const events = new EventEmitter();
  // async, like any admission hook a join handler awaits (and like gate.admit).
  async function admit(join) {
    let address;
    try {
      address = new Address4(join.peerAddress).correctForm();
    } catch {
      try {
        address = new Address6(join.peerAddress).correctForm();
      } catch {
        events.emit('decision', { join, admitted: true, reason: 'invalid' });
        return { admitted: true };
      }
    }
    const record = reader.get(address);
    const country = record?.country_code ?? record?.country?.iso_code;
    const admitted = !(country !== undefined && deny.has(country));
    events.emit('decision', { meetingId: join.meetingId, participantId: join.participantId, country, admitted });
    return { admitted, country };
  }
  return { admit, events, reader };
}
