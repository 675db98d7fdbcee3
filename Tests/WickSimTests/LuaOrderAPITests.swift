import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// The Lua side of limit orders, cancels, partial exits and adds: fields reach the kernel, and
/// bad fields stop the run with an error naming the field.
@Suite struct LuaOrderAPITests {
  static func run(_ script: String, candles: [Candle]) throws -> BacktestResult {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "orders-\(UUID().uuidString).lua")
    try script.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let strategy = try LuaStrategy(path: url.path)
    let config = BacktestConfig(
      fills: FillModel(takerFeeBps: 5.5, makerFeeBps: 2, spreadBps: 0, slippageBps: 0),
      strategyName: strategy.name, timeframe: .oneMinute, historyDepth: 1)
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
    return try engine.run(
      source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles)]))
  }

  static let candles = [
    bar(0, 100, 100.5, 99.5, 100), bar(1, 100, 101, 98.5, 100), bar(2, 100, 103, 99.5, 102),
    bar(3, 102, 104, 101.5, 103), bar(4, 103, 104, 102.5, 103),
  ]

  @Test func aScriptPlacesListsFillsAndScalesOut() throws {
    let r = try Self.run(
      """
      return {
        symbols = { "BTCUSDT" },
        on_candle = function(ctx, c)
          local n = (ctx.n or 0) + 1
          ctx.n = n
          if n == 1 then
            assert(ctx:enter{ side = "long", limit = 99, post_only = true, expire = 3, stop = 95 })
            local o = ctx:orders("BTCUSDT")[1]
            assert(o.price == 99 and o.post_only == true and o.candles_left == 3 and o.side == "long")
          elseif n == 2 then
            assert(#ctx:orders("BTCUSDT") == 0, "filled on candle 2")
            assert(ctx:position("BTCUSDT"))
          elseif n == 3 then
            assert(ctx:exit{ fraction = 0.5, reason = "half" })
          end
        end,
      }
      """, candles: Self.candles)
    #expect(r.error == nil)
    #expect(r.trades.count == 2)
    #expect(r.trades.allSatisfy { $0.entryType == .limit && $0.entryPrice == 99 })
    #expect(r.trades.first?.partial == true)
    #expect(r.trades.first?.exitNote == "half")
    #expect(r.limitOrders.placed == 1)
    #expect(r.limitOrders.filled == 1)
    #expect(r.limitOrders.makerFees > 0)
  }

  @Test func cancelFromLua() throws {
    let r = try Self.run(
      """
      return {
        symbols = { "BTCUSDT" },
        on_candle = function(ctx, c)
          ctx.n = (ctx.n or 0) + 1
          if ctx.n == 1 then ctx:enter{ side = "long", limit = 90, stop = 85 }
          elseif ctx.n == 2 then
            assert(ctx:cancel{ symbol = "BTCUSDT" } == true)
            assert(ctx:cancel("BTCUSDT") == false)
          end
        end,
      }
      """, candles: Self.candles)
    #expect(r.error == nil)
    #expect(r.limitOrders.cancelled == 1)
  }

  @Test(arguments: [
    ("ctx:enter{ side = 'long', stop = 95, expire = 3 }", "'expire' applies to limit orders only"),
    (
      "ctx:enter{ side = 'long', stop = 95, post_only = true }",
      "'post_only' applies to limit orders only"
    ),
    (
      "ctx:enter{ side = 'long', stop = 95, limit = 99, post_only = 'yes' }",
      "'post_only' must be true or false"
    ),
    (
      "ctx:enter{ side = 'long', stop = 95, limit = 99, expire = 1.5 }",
      "'expire' must be a whole number"
    ),
    ("ctx:enter{ side = 'long', stop = 95, limit = -1 }", "'limit' must be a positive price"),
    ("ctx:enter{ side = 'long', stop = 95, add = 1 }", "'add' must be true or false"),
    ("ctx:exit{ fraction = 1.5 }", "'fraction' must be in (0, 1]"),
    ("ctx:exit{ fraction = 'half' }", "'fraction' must be a number"),
    ("ctx:cancel{ symbol = 'BTCUSDT', reason = 'x' }", "unknown field 'reason'"),
    ("ctx:orders('ETHUSDT')", "ctx:orders: unknown symbol 'ETHUSDT'"),
  ])
  func badFieldsStopTheRunNamingTheField(call: String, message: String) throws {
    let r = try Self.run(
      """
      return {
        symbols = { "BTCUSDT" },
        on_candle = function(ctx, c)
          \(call)
        end,
      }
      """, candles: Self.candles)
    let error = try #require(r.error)
    #expect(error.contains(message), "\(error)")
    #expect(error.contains(".lua:4:"), "names the line: \(error)")
    #expect(r.trades.isEmpty)
  }
}
