import WickCore

/// The same logic as strategies/ma_cross.lua, in Swift: the baseline that shows what the Lua
/// boundary costs.
final class MACrossSwift: Strategy {
  let name = "ma_cross_swift"
  let warmup = 60
  private let ma = SMA(period: 60)
  private let quoteVolume = SMA(period: 1440)
  private let minVolume = 500_000.0 / 1440

  func start(host: StrategyHost) throws {}

  func onCandle(symbol: Int, candle c: Candle, host: StrategyHost) throws {
    let m = ma.update(c.close)
    let qv = quoteVolume.update(c.close * c.volume)
    guard let m else { return }
    guard let qv, qv >= minVolume else { return }
    guard host.position(symbol: symbol) == nil else { return }
    if c.close > m * 1.001 {
      host.enter(
        OrderIntent(
          symbol: symbol, side: .long, stop: c.close * 0.98, take: c.close * 1.04, tag: "ma_up"))
    } else if c.close < m * 0.999 {
      host.enter(
        OrderIntent(
          symbol: symbol, side: .short, stop: c.close * 1.02, take: c.close * 0.96, tag: "ma_down"))
    }
  }
}
