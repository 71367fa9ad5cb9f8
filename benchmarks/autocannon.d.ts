// The part of autocannon's API the benchmarks use (it ships no types).
declare module 'autocannon' {
  interface Histogram { average: number; mean: number; p50: number; p90: number; p99: number; max: number }
  interface Result { requests: Histogram; latency: Histogram; throughput: Histogram; errors: number; timeouts: number; non2xx: number }
  interface Options {
    url: string; connections?: number; duration?: number; amount?: number; pipelining?: number
    method?: string; headers?: Record<string, string>; body?: string
  }
  function autocannon (opts: Options): Promise<Result>
  export default autocannon
}
