import WickBinance
import WickBybit
import WickLive

/// The exchange adapter modules linked into the CLI. The runner finds them by `--exchange`
/// through `LiveExchanges`; this is the one place that lists them.
enum LiveAdapters {
  static func install() {
    LiveExchanges.register(BybitExchange.self)
    LiveExchanges.register(BinanceExchange.self)
    // And `[schedule.reoptimize]`'s sweep: `wick optimize`'s code, which the runner cannot name.
    Reoptimizers.register(ScheduledSweep())
  }

  /// `wick doctor`'s checks per exchange.
  static let doctors: [String: @Sendable (DoctorRequest) -> [DoctorCheck]] = [
    "binance": BinanceDoctor.checks,
    "bybit": BybitDoctor.checks,
  ]
}
