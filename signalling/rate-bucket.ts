/** Token bucket: `burst` messages at once, refilled at `perSecond`. */
export function createBucket (burst: number, perSecond: number, now: () => number = Date.now) {
  let tokens = burst
  let last = now()
  return {
    take (): boolean {
      const t = now()
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond)
      last = t
      if (tokens < 1) return false
      tokens -= 1
      return true
    }
  }
}
