import Foundation
import WickCore

/// What `wick new strategy NAME` writes: a strategy that backtests as it is, annotated for the
/// editor, plus `.luarc.json` and `types/wick.lua` when the folder has none yet.
public enum StrategyTemplate {
  /// A strategy name: a lowercase letter, then lowercase letters, digits or underscores (a
  /// file name on every system and a valid `require`-style module name), at most 64 characters.
  public static func validate(name: String) throws {
    let ok =
      !name.isEmpty && name.count <= 64
      && name.unicodeScalars.first.map { ("a"..."z").contains($0) } == true
      && name.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
      }
    guard ok else {
      throw WickError.invalidArgument(
        "invalid strategy name '\(name)': use a lowercase letter followed by lowercase letters,"
          + " digits or '_' (at most 64 characters), e.g. 'breakout_1h'")
    }
  }

  /// The script: an EMA crossover with an ATR stop, long and short, every call annotated.
  public static func script(name: String) -> String {
    #"""
    -- \#(name): a new Wick strategy (written by `wick new strategy`).
    --
    -- Idea: go long when the fast EMA crosses above the slow one, short when it crosses below;
    -- the stop sits `stop_atr` ATRs away and the target `take_r` times further.
    -- Try it:   wick data synth --symbol BTCUSDT --timeframe 1m --candles 20000
    --           wick backtest strategies/\#(name).lua
    -- Check it: wick check strategies/\#(name).lua
    -- API: docs/strategy-api.md; types for your editor: types/wick.lua (see docs/editor.md).

    ---@type wick.Strategy
    return {
      name = "\#(name)",
      timeframe = "1m",
      symbols = { "BTCUSDT" },
      warmup = 50,
      params = {
        fast = { default = 12, min = 2, max = 100, step = 1, description = "fast EMA length" },
        slow = { default = 48, min = 5, max = 400, step = 1, description = "slow EMA length" },
        stop_atr = { default = 2.0, min = 0.5, max = 10, description = "stop distance in ATRs" },
        take_r = { default = 2.0, min = 0.5, max = 10, description = "target as a multiple of the stop" },
        allow_short = { default = true, description = "also trade the short side" },
      },

      ---@param ctx wick.Context
      init = function(ctx)
        local p = ctx.params
        ctx.fast = wick.ema(p.fast)
        ctx.slow = wick.ema(p.slow)
        ctx.atr = wick.atr(14)
        ctx.prev_diff = nil
      end,

      ---@param ctx wick.Context
      ---@param c wick.Candle
      on_candle = function(ctx, c)
        local fast = ctx.fast:update(c.close)
        local slow = ctx.slow:update(c.close)
        local atr = ctx.atr:update(c.high, c.low, c.close)
        if not (fast and slow and atr) then return end
        local diff = fast - slow
        local prev = ctx.prev_diff
        ctx.prev_diff = diff
        if not prev or ctx:position(c.symbol) then return end

        local p = ctx.params
        local distance = atr * p.stop_atr
        if prev <= 0 and diff > 0 then
          local ok, why = ctx:enter{ symbol = c.symbol, side = "long", stop = c.close - distance,
                                     take = c.close + distance * p.take_r, tag = "cross_up" }
          if not ok then ctx:log("long refused:", why) end
        elseif p.allow_short and prev >= 0 and diff < 0 then
          local ok, why = ctx:enter{ symbol = c.symbol, side = "short", stop = c.close + distance,
                                     take = c.close - distance * p.take_r, tag = "cross_down" }
          if not ok then ctx:log("short refused:", why) end
        end
      end,
    }

    """#
  }

  /// One file `wick new strategy` wrote or left alone.
  public struct Written: Equatable, Sendable {
    public var path: String
    public var created: Bool
  }

  /// Writes `strategies/NAME.lua` under `root` (refusing to replace an existing one), and
  /// `.luarc.json` and `types/wick.lua` when they are missing. Nothing is written when the
  /// name is invalid or the script exists.
  public static func create(name: String, in root: String) throws -> [Written] {
    try validate(name: name)
    let fm = FileManager.default
    let script = (root as NSString).appendingPathComponent("strategies/\(name).lua")
    guard !fm.fileExists(atPath: script) else {
      throw WickError.invalidArgument(
        "\(script) already exists; choose another name or delete the file first (nothing was written)"
      )
    }
    var written: [Written] = []
    func write(_ path: String, _ text: String, onlyIfMissing: Bool) throws {
      if onlyIfMissing, fm.fileExists(atPath: path) {
        written.append(Written(path: path, created: false))
        return
      }
      try fm.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      guard fm.createFile(atPath: path, contents: Data(text.utf8)) else {
        throw WickError.invalidArgument("cannot write \(path)")
      }
      written.append(Written(path: path, created: true))
    }
    try write(script, Self.script(name: name), onlyIfMissing: false)
    try write(
      (root as NSString).appendingPathComponent(".luarc.json"), EditorTypes.luarc,
      onlyIfMissing: true)
    try write(
      (root as NSString).appendingPathComponent("types/wick.lua"), EditorTypes.luaTypes,
      onlyIfMissing: true)
    return written
  }
}
