import Foundation
import WickCore

/// What a fetch of open interest or long/short ratios did.
public struct MetricFetchSummary: Sendable, Equatable {
  public var metric: MarketMetric
  public var samples = 0
  public var requests = 0
  /// The range asked for after alignment, the horizon and the exchange's clock: `[from, to)`.
  public var from: Int64 = 0
  public var to: Int64 = 0
  /// Set when `--from` lay beyond what the exchange keeps: the first time it still has.
  public var horizonStart: Int64?
  public var interrupted = false
}

extension MarketDataFetcher {
  /// The sampling interval of `metric` for candles of `timeframe`: the same one, or an error
  /// naming the nearest one the exchange offers (the largest below, else the smallest above:
  /// a finer series still gives every candle its value at the close).
  public func metricInterval(_ metric: MarketMetric, timeframe tf: Timeframe) throws -> Timeframe {
    let offered = api.metricIntervals(metric)
    guard !offered.isEmpty else {
      throw WickError.invalidArgument(
        "\(api.storageName) publishes no \(metric) history (only the perpetual futures markets do)"
      )
    }
    if offered.contains(tf) { return tf }
    let nearest = offered.last { $0.milliseconds < tf.milliseconds } ?? offered[0]
    throw WickError.invalidArgument(
      "\(api.storageName) has no \(tf) \(metric); the nearest interval it offers is \(nearest) (it offers \(offered.map(\.description).joined(separator: " "))): fetch with --timeframe \(nearest)"
    )
  }

  /// Fetches `metric` for `symbol` on the `timeframe` grid over `[from, to)` into the cache:
  /// what lies before the oldest stored sample (newest window first) and after the newest (oldest
  /// window first), each window asked for until covered and written in one transaction, so an
  /// interrupted or failed fetch leaves whole windows and the next run continues. `to` defaults
  /// to, and is capped at, the exchange's clock; `from` is raised to the exchange's horizon.
  public func fetchMetric(
    _ metric: MarketMetric, symbol: String, timeframe tf: Timeframe, from: Int64, to: Int64?
  ) throws -> MetricFetchSummary {
    let interval = try metricInterval(metric, timeframe: tf)
    let step = interval.milliseconds
    let series = SeriesKey(exchange: api.storageName, symbol: symbol, timeframe: interval)
    let now = try syncClock().earliestNow()
    var summary = MetricFetchSummary(metric: metric)
    var start = interval.floor(from) == from ? from : interval.floor(from) + step
    if let horizon = api.metricHorizon {
      // The first grid time still inside the horizon a minute from now (requests take time).
      let earliest = interval.floor(now - horizon + 60_000) + step
      if start < earliest {
        summary.horizonStart = earliest
        start = earliest
      }
    }
    let end = min(to ?? Int64.max, interval.floor(now) + 1)  // samples stamped by its now
    summary.from = start
    summary.to = max(start, end)
    guard start < end else { return summary }
    let range = start..<end
    var windows: [Range<Int64>] = []
    let size = Int64(api.metricLimit(metric)) * step
    if let stored = try store.metricBounds(metric, series: series) {
      let older = range.clamped(to: range.lowerBound..<max(range.lowerBound, stored.first))
      windows += stride(from: older.upperBound, to: older.lowerBound, by: -Int(size)).map {
        max($0 - size, older.lowerBound)..<$0
      }
      let newer = range.clamped(to: (stored.last + step)..<Int64.max)
      windows += stride(from: newer.lowerBound, to: newer.upperBound, by: Int(size)).map {
        $0..<min($0 + size, newer.upperBound)
      }
    } else {
      windows = stride(from: range.lowerBound, to: range.upperBound, by: Int(size)).map {
        $0..<min($0 + size, range.upperBound)
      }
    }
    let limiter = metricLimiter
    for window in windows {
      if stopRequested() {
        summary.interrupted = true
        break
      }
      let samples = try RangeCoverage.collect(window, step: step, time: { $0.time }) { part in
        limiter.acquire()
        summary.requests += 1
        let url = try api.metricURL(
          metric, symbol: symbol, interval: interval, start: part.lowerBound,
          end: part.upperBound - 1, limit: api.metricLimit(metric))
        let rows = try parse(url) { try api.parseMetric(metric, $0) }
        try requireSomeInside(rows.map(\.time), part, url)
        for s in rows where part.contains(s.time) {
          guard interval.isAligned(s.time) else {
            throw WickError.exchange(
              "GET \(url): \(metric) at \(UTCTime.iso(s.time)) is not on the \(interval) grid")
          }
          guard s.value.isFinite, s.value >= 0 else {
            throw WickError.exchange(
              "GET \(url): \(metric) at \(UTCTime.iso(s.time)) is \(s.value), not a finite non-negative number"
            )
          }
        }
        return rows.filter { $0.time <= now }
      }
      try store.writeMetric(metric, samples, series: series)
      summary.samples += samples.count
    }
    return summary
  }
}
