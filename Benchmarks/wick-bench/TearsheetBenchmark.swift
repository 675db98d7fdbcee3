import WickCore
import WickReport
import WickSim

/// The tearsheet's cost per candle: what a report records as the candles stream past (price
/// buckets for the charts and benchmark, the regime tape for attribution), then the tearsheet
/// computed from the result. A backtest without --json or --html records nothing.
func tearsheetLine(_ result: BacktestResult, candles: [Candle]) {
  var groups = 0
  let pricesSeconds = best {
    var prices = PriceBuckets(
      symbol: "BTCUSDT", timeframe: .oneMinute, capacity: PriceBuckets.interactiveCapacity)
    for c in candles { prices.add(c) }
    groups += prices.count
  }
  let sheetSeconds = best {
    var prices = PriceBuckets(
      symbol: "BTCUSDT", timeframe: .oneMinute, capacity: PriceBuckets.interactiveCapacity)
    var tape = RegimeTape(symbol: "BTCUSDT", timeframe: .oneMinute)
    for c in candles {
      prices.add(c)
      tape.add(c)
    }
    groups += Tearsheet(result, prices: [prices], regimes: [tape]).attribution.byTrend.count
  }
  let perCandle = { (s: Double) in s / Double(max(candles.count, 1)) * 1e9 }
  line(
    "tearsheet per candle (record + compute)", String(format: "%.1f ns", perCandle(sheetSeconds)),
    String(
      format: "price buckets alone %.1f ns; the rest is the regime tape", perCandle(pricesSeconds)))
  if groups == 0 { print("") }
}
