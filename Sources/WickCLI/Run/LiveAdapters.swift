import WickBybit
import WickLive

/// The exchange adapter modules linked into the CLI. The runner finds them by `--exchange`
/// through `LiveExchanges`; this is the one place that lists them.
enum LiveAdapters {
  static func install() {
    LiveExchanges.register(BybitExchange.self)
  }
}
