import type { EngineDump } from './engine.js'

interface Sized { readonly size: number }
interface CountableRoom { participants: Map<string, { transports: Sized; producers: Sized; consumers: Sized }> }

/** What an engine's own bookkeeping holds, for dump(); each engine adds what its native layer reports. */
export function countRooms (rooms: Map<string, CountableRoom>): Omit<EngineDump, 'native'> {
  let participants = 0; let transports = 0; let producers = 0; let consumers = 0
  for (const room of rooms.values()) {
    for (const part of room.participants.values()) {
      participants++; transports += part.transports.size; producers += part.producers.size; consumers += part.consumers.size
    }
  }
  return { rooms: rooms.size, participants, transports, producers, consumers }
}
