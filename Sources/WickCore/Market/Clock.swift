import Foundation

/// "Now", epoch ms UTC. Live runners read the exchange's clock (server-time offset applied) to
/// decide when a candle has closed and what to backfill; a backtest never asks — its time is the
/// candles'. Tests pass a clock they control.
public protocol Clock {
  func now() -> Int64
}

/// The machine's clock.
public struct LocalClock: Clock {
  public init() {}
  public func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
