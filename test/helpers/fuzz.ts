/** Deterministic generators of hostile input, so a failing case can be replayed by its seed. */
export function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let x = s
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const STRINGS = [
  '', ' ', 'a', 'null', 'undefined', 'true', '0', '-1', '1e309', 'NaN', '__proto__', 'constructor',
  '\u0000', 'a\u0000b', '\ud800', '\udfff', '\u202e\u0645\u0631\u062d\u0628\u0627', '\u200b\u200d\ufeff',
  'e\u0301\u0301\u0301', '😀👩‍⚕️🏥', 'ｆｕｌｌ', 'İı', "'; DROP TABLE users; --", '<script>alert(1)</script>',
  '${jndi:ldap://x}', '../../etc/passwd', '%00', '%2e%2e%2f', '\r\nX-Injected: 1', 'a'.repeat(5000),
  '2026-02-30T25:61:00Z', '0000-00-00', '9999-12-31T23:59:59Z', '00000000-0000-0000-0000-000000000000',
  'not-a-uuid', '+1 (555) 010-9999', 'x@y', '@', 'Robert\'); --'
]

export function randomValue (r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 6 : 9))
  switch (pick) {
    case 0: return STRINGS[Math.floor(r() * STRINGS.length)]
    case 1: return [0, -1, 1.5, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MIN_VALUE][Math.floor(r() * 7)]
    case 2: return r() < 0.5
    case 3: return null
    case 4: return Math.floor(r() * 1e6)
    case 5: return STRINGS[Math.floor(r() * STRINGS.length)].repeat(1 + Math.floor(r() * 3))
    case 6: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1))
    default: {
      const o: Record<string, unknown> = {}
      const keys = ['email', 'password', 'id', 'role', 'code', 'token', 'startsAt', 'name', 'reason', 'providerId',
        'patientId', 'timezone', 'from', 'to', 'limit', 'cursor', '__proto__', 'constructor', 'x'.repeat(300)]
      // defineProperty: '__proto__' becomes an own key, as JSON.parse makes it, not a prototype.
      for (let i = Math.floor(r() * 5); i > 0; i--) {
        Object.defineProperty(o, keys[Math.floor(r() * keys.length)], { value: randomValue(r, depth + 1), enumerable: true, writable: true, configurable: true })
      }
      return o
    }
  }
}

export function deepNest (levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels)
}
