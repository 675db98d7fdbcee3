import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// A paper session that rests limit orders, lets some expire, cancels, scales out and adds: its
/// ledger holds every one of those decisions, and `wick replay` regenerates them identically.
@Suite(.serialized) struct PaperLimitReplayTests {
  static let script = """
    return {
      name = "limits", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
      on_candle = function(ctx, c)
        ctx.state.n = (ctx.state.n or 0) + 1
        local n = ctx.state.n
        local pos = ctx:position(c.symbol)
        local resting = ctx:orders(c.symbol)[1]
        if pos then
          ctx.state.held = (ctx.state.held or 0) + 1
          if ctx.state.held == 2 then
            ctx:exit{ symbol = c.symbol, fraction = 0.5, reason = "half" }
          elseif ctx.state.held == 3 then
            ctx:enter{ symbol = c.symbol, side = "long", add = true, stop = c.close * 0.97 }
          elseif ctx.state.held >= 5 then
            ctx:exit{ symbol = c.symbol, reason = "done" }
          end
        elseif resting then
          if n % 7 == 0 then ctx:cancel{ symbol = c.symbol } end
        else
          ctx.state.held = 0
          ctx:enter{ symbol = c.symbol, side = "long", limit = c.close * 0.9995, expire = 3,
                     post_only = n % 2 == 0, stop = c.close * 0.98 }
        end
      end,
    }
    """

  @Test func aPaperRunWithLimitsReplaysIdentically() async throws {
    let w = try PaperWorld(history: 20, total: 70, script: Self.script)
    let id = try await w.session(w.history..<(w.history + 40))
    func count(_ sql: String) throws -> Int { try w.scalar(sql) }
    // The session did use what is replayed: limit intents, limit fills, partial exits.
    #expect(
      try count(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'intent' AND detail_json LIKE '%\"limit\":%'"
      ) >= 2)
    #expect(
      try count(
        "SELECT COUNT(*) FROM orders WHERE run_id = \(id) AND type IN ('limit', 'post_only') AND status = 'filled'"
      ) >= 1)
    #expect(
      try count(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'fill' AND detail_json LIKE '%\"partial\":true%'"
      ) >= 1)
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(String(describing: report.firstDivergence))")
    #expect(report.decisions == (try count("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)")))

    // A tampered limit price is found.
    try w.execute(
      "UPDATE decisions SET detail_json = replace(detail_json, '\"limit\":', '\"limit\":1') WHERE run_id = \(id) AND kind = 'intent'"
    )
    #expect(!(try Runner.replay(run: id, dbPath: w.db).identical))
  }

  /// The partial-exit floor in paper: a script that halves its position on every candle gets six
  /// partial closes and then one full close (the remainder fell below 1 % of the position), not
  /// an endless run of ever smaller rows; the replay through the backtest kernel decides the same.
  @Test func halvingEveryCandleEndsWithAFullCloseAndReplays() async throws {
    let script = """
      return {
        name = "halver", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
        on_candle = function(ctx, c)
          if ctx:position(c.symbol) then
            ctx:exit{ symbol = c.symbol, fraction = 0.5, reason = "half" }
          elseif not ctx.state.entered then
            ctx.state.entered = ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.5 }
          end
        end,
      }
      """
    let w = try PaperWorld(history: 20, total: 60, script: script)
    let id = try await w.session(w.history..<(w.history + 25))
    func count(_ sql: String) throws -> Int { try w.scalar(sql) }
    let rows = "SELECT COUNT(*) FROM decisions WHERE run_id = \(id)"
    #expect(try count(rows + " AND kind = 'fill' AND detail_json LIKE '%\"partial\":true%'") == 6)
    #expect(try count(rows + " AND kind = 'fill' AND detail_json LIKE '%\"leg\":\"exit\"%'") == 7)
    #expect(
      try count(
        rows
          + " AND kind = 'exit' AND detail_json LIKE '%half: remainder below the minimum, closed in full%'"
      ) == 1)
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(String(describing: report.firstDivergence))")
  }
}
