import Foundation
import WickCore

/// The exchange's own kline streams for a strategy's higher timeframes (`timeframes = { "5m",
/// "1h" }`) in paper and live runs: Bybit `kline.60.SYMBOL`, Binance `<symbol>@kline_1h`, one
/// socket per timeframe. Only confirmed candles are kept (Bybit `confirm: true`, Binance
/// `"x": true`); a forming one is ignored. When the base candle that closes a higher candle is
/// handled, the runner asks `take` for it: the stream's candle if it has arrived (waiting up to
/// `grace` for it), else nil and the runner falls back to the candle resampled from the base
/// series, saying so once per timeframe and symbol until the stream delivers again.
final class HigherKlines {
  /// Higher timeframes, by kernel timeframe index − 1.
  let timeframes: [Timeframe]
  let symbols: [String]
  private let sockets: [KlineSocket]
  private var received: [[[Int64: Candle]]]
  private var fallingBack: [[Bool]]
  /// How long a due candle is waited for before falling back.
  var grace: TimeInterval
  private(set) var unconfirmedSeen = 0
  var onLog: ((String) -> Void)?

  init(
    dialect: KlineDialect, base: String, symbols: [String], timeframes: [Timeframe],
    grace: TimeInterval
  ) throws {
    self.timeframes = timeframes
    self.symbols = symbols
    self.grace = grace
    sockets = try timeframes.map {
      try KlineSocket(
        dialect: dialect, base: base, symbols: symbols, timeframe: $0, inbox: KlineInbox())
    }
    received = timeframes.map { _ in symbols.map { _ in [:] } }
    fallingBack = timeframes.map { _ in symbols.map { _ in false } }
  }

  func start() { for s in sockets { s.start() } }
  func stop() { for s in sockets { s.stop() } }

  /// The confirmed candle of timeframe index `k` (≥ 1) and symbol `s` opening at `open`, from
  /// the stream, or nil (logged once) when it has not arrived within `grace`.
  func take(timeframe k: Int, symbol s: Int, open: Int64) -> Candle? {
    let deadline = Date().addingTimeInterval(grace)
    var waited = false
    while true {
      collect(k - 1, timeout: waited ? max(0, deadline.timeIntervalSinceNow) : 0)
      if let c = received[k - 1][s].removeValue(forKey: open) {
        // Older candles were never due (a bucket the base series did not complete).
        received[k - 1][s] = received[k - 1][s].filter { $0.key > open }
        if fallingBack[k - 1][s] {
          fallingBack[k - 1][s] = false
          onLog?("\(timeframes[k - 1]) \(symbols[s]) candles come from the exchange's stream again")
        }
        return c
      }
      if waited && Date() >= deadline { break }
      waited = true
    }
    if !fallingBack[k - 1][s] {
      fallingBack[k - 1][s] = true
      onLog?(
        "warning: the exchange's \(timeframes[k - 1]) \(symbols[s]) candle at \(UTCTime.iso(open)) did not arrive in time; using the one resampled from the base timeframe until the stream delivers again"
      )
    }
    return nil
  }

  /// Takes what socket `i` pushed, waiting up to `timeout` for something.
  private func collect(_ i: Int, timeout: TimeInterval) {
    for e in sockets[i].inbox.drain(timeout: timeout) {
      guard case .update(let u) = e, let s = symbols.firstIndex(of: u.symbol) else { continue }
      guard u.confirmed else {
        unconfirmedSeen += 1
        continue
      }
      received[i][s][u.candle.time] = u.candle
    }
  }
}
