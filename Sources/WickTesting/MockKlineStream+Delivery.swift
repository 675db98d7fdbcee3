import Foundation
import WickCore
import WickData

extension MockKlineStream {
  /// Sends `messages` once a client is connected, and again every `resend` seconds until
  /// `handled()` holds; returns whether it held within `timeout` seconds.
  ///
  /// A message sent between a client's connection and its subscription is lost, so a test that
  /// pushes a candle once and waits for it can wait forever (seen in CI). The runner ignores a
  /// candle it has already handled, so sending it again is harmless. Polls without blocking a
  /// thread of the cooperative pool (the tests' sockets run there).
  ///
  ///     let progress = try RunProgress(db: path)
  ///     await ws.deliver(symbols: ["BTCUSDT"], candles: [c]) { progress.reached(c.time) }
  @discardableResult
  public func deliver(
    _ messages: [String], resend: Double = 0.5, timeout: Double = 30,
    until handled: () -> Bool
  ) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while openClients == 0, Date() < deadline {
      try? await Task.sleep(nanoseconds: 10_000_000)
    }
    while Date() < deadline {
      for m in messages { send(text: m) }
      let again = min(deadline, Date().addingTimeInterval(resend))
      while Date() < again {
        if handled() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
      }
    }
    return handled()
  }

  /// `deliver` for one candle time of several symbols, each confirmed; with `noise`, each is
  /// preceded by an unconfirmed update (close at the open, no volume) and followed by a duplicate,
  /// as the exchange sends them.
  @discardableResult
  public func deliver(
    symbols: [String], interval: String = "1", candles: [Candle], noise: Bool = false,
    timeout: Double = 30, until handled: () -> Bool
  ) async -> Bool {
    var messages: [String] = []
    for (s, c) in zip(symbols, candles) {
      let confirmed = Self.klineMessage(symbol: s, interval: interval, candle: c, confirm: true)
      if noise {
        let forming = Candle(
          time: c.time, open: c.open, high: c.high, low: c.low, close: c.open, volume: 0)
        messages.append(
          Self.klineMessage(symbol: s, interval: interval, candle: forming, confirm: false))
      }
      messages.append(confirmed)
      if noise { messages.append(confirmed) }
    }
    return await deliver(messages, timeout: timeout, until: handled)
  }
}

/// How far a paper or live run has come, read from its ledger (thread-safe, unlike the runner's
/// own fields): what a test waits on after pushing a candle.
public final class RunProgress: @unchecked Sendable {
  private let ledger: RunLedger
  private let run: Int64?

  /// The run `run` in the ledger at `db`; nil follows the newest run.
  public init(db: String, run: Int64? = nil) throws {
    ledger = try RunLedger(store: try CandleStore(path: db))
    self.run = run
  }

  /// Whether the run has handled the candle opening at `time`, or has ended (stopped or halted:
  /// a candle pushed after `--stop-after` or a stop command is never handled).
  public func reached(_ time: Int64) -> Bool {
    guard let row = try? (run.map { try ledger.run($0) } ?? ledger.runs().first) ?? nil else {
      return false
    }
    return (row.lastTime ?? .min) >= time || !["running", "paused"].contains(row.status)
  }
}
