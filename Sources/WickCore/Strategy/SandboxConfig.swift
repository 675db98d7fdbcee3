/// Limits of a strategy's Lua sandbox (`[sandbox]` in wick.toml; see WickLua/Sandbox.swift for
/// the policy). A plain value here so that every host building a strategy — backtest, sweep,
/// runner — reads the same section the same way.
public struct SandboxConfig: Sendable, Equatable {
  /// Wall-clock budget of one on_candle / on_bars call.
  public var callbackSeconds = 1.0
  /// Wall-clock budget of loading the script and of init.
  public var initSeconds = 10.0
  /// How long past its budget a call stuck in C code may run before the host gives up on it.
  public var hardDeadlineSeconds = 2.0
  /// Memory cap of the strategy's Lua state.
  public var memoryMB = 64
  /// Lines `ctx:log`/`print` may write in one callback; the rest are dropped and counted.
  public var logLinesPerCallback = 100
  /// Bytes of script output per hour of candle time (candle time, not wall time, so that a
  /// backtest drops the same lines on every run).
  public var logBytesPerHour = 1_000_000
  public init() {}
}
