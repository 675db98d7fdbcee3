import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickLive

/// `[risk] flatten_on_daily_loss` in a paper run: the same kernel path as a backtest, recorded
/// in the ledger (the flatten as an exit decision and a `daily_loss` incident) and replayed.
@Suite(.serialized) struct PaperDailyLossTests {
  /// Enters long (stop 10 below) whenever flat.
  static let alwaysLong = """
    return {
      name = "always_long", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 0,
      on_candle = function(ctx, c)
        if not ctx:position(c.symbol) then
          ctx:enter{ symbol = c.symbol, side = "long", stop = c.close - 10 }
        end
      end,
    }
    """

  @Test func theDailyLimitFlattensAPaperPositionAndTheNextDayTradesAgain() async throws {
    // Candle 20 (the session's first) is 23:50 UTC; candle 30 opens the next day.
    let first = base + 86_400_000 - 30 * 60_000
    let candles = (0..<40).map { i -> Candle in
      let t = first + Int64(i) * 60_000
      switch i {
      case ..<23: return Candle(time: t, open: 100, high: 100, low: 100, close: 100, volume: 1)
      case 23: return Candle(time: t, open: 100, high: 100, low: 94, close: 94, volume: 1)
      default: return Candle(time: t, open: 94, high: 94, low: 94, close: 94, volume: 1)
      }
    }
    let w = try PaperWorld(start: first, script: Self.alwaysLong, candles: candles)
    let id = try await w.session(
      candles: 12,
      config: """
        [risk]
        max_daily_loss = 50
        flatten_on_daily_loss = true
        """)
    let t = { (i: Int) in candles[i].time }
    // 10 units bought at 100 (+ costs) are 60 down at 23:53's close: closed at 23:54's open.
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'daily_loss' AND time = \(t(24)) AND detail LIKE '%limit 50%'"
      ) == 1)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'exit' AND detail_json LIKE '%risk: daily loss limit%'"
      ) == 1)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM positions WHERE run_id = \(id) AND closed_at = \(t(24)) AND active = 0"
      ) == 1)
    // Refused until midnight, with the reason; the new day's first candle enters again.
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'refusal' AND detail_json LIKE '%daily_loss_limit%'"
      ) >= 5)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM positions WHERE run_id = \(id) AND opened_at >= \(t(30)) AND active = 1"
      ) == 1)
    #expect(try w.scalar("SELECT COUNT(*) FROM positions WHERE run_id = \(id)") == 2)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }
}
