import WickCore

/// `[schedule] eval_every` in the kernel. On a candle whose close time is off the decision grid
/// the strategy is still called — streaming indicators (`wick.sma(...):update`) and `ctx:history`
/// see every candle, so a 60-candle MA still covers 60 one-minute candles — but what it asks for
/// is suppressed like during the warmup: `ctx:enter` is refused with `off_schedule` (not counted,
/// not journaled), `ctx:exit` returns false. Stops, takes, trailing stops, funding and risk
/// exits are managed on every candle. The grid is the exchange's UTC clock: close times are
/// candle times, never the local clock, so a backtest, a paper run and `wick replay` agree.
extension TradingKernel {
  static let offScheduleRefusal = IntentOutcome.refused(
    Refusal("off_schedule", "the strategy decides only on candles closing on the eval_every grid"))
}
