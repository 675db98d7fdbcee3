import WickCore

/// What a strategy script declares about itself (the module table minus its functions).
public struct StrategyManifest: Sendable, Equatable {
  public var name: String
  public var path: String
  public var timeframe: Timeframe?
  public var symbols: [String]
  /// Candles per symbol before intents are honoured: the `warmup` field, or what its function
  /// returned for the resolved params (`warmupFromParams`).
  public var warmup: Int
  public var params: [ParamSpec]
  public var hasInit: Bool
  public var hasOnCandle: Bool
  public var hasOnBars: Bool
  /// `timeframes = { "5m", "1h" }`: base first; empty when the script declares only `timeframe`.
  public var timeframes: [Timeframe] = []
  /// Warmup per entry of `timeframes` (`warmup = { ["5m"] = 50, ["1h"] = 200 }` or one number
  /// for all); empty with a single timeframe, whose warmup is `warmup`.
  public var warmups: [Int] = []
  /// `warmup = function(p) ... end`: the warmup follows the params (a longer window warms longer).
  public var warmupFromParams = false

  /// Fields a strategy module may have; anything else is reported as a probable typo.
  static let knownFields: Set<String> = [
    "name", "timeframe", "timeframes", "symbols", "warmup", "params", "init", "on_candle",
    "on_bars",
    "description", "version",
  ]
}
