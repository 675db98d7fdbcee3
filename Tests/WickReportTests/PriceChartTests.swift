import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickReport

@Suite struct PriceChartTests {
  let t0: Int64 = 1_704_067_200_000

  func candles(_ n: Int) -> [Candle] {
    (0..<n).map { i in
      let mid = 100 + 10 * sin(Double(i) / 5_000)
      return Candle(
        time: t0 + Int64(i) * 60_000, open: mid, high: mid + 1, low: mid - 1, close: mid + 0.5,
        volume: 1)
    }
  }

  @Test func longRangesAreDecimatedWithoutLosingExtremes() throws {
    var input = candles(1_000_000)
    input[123_457].high = 500  // a one-candle spike must survive decimation
    input[777_777].low = 1
    var prices = PriceBuckets(symbol: "BTCUSDT", timeframe: .oneMinute, capacity: 500)
    for c in input { prices.add(c) }
    #expect(prices.count <= 1_000 && prices.count > 250)
    #expect(prices.highs.max() == 500 && prices.lows.min() == 1)
    #expect(prices.closes.last == input.last!.close)
    #expect(prices.times.first == t0)
    // Buckets are equally wide and in order.
    #expect(zip(prices.times, prices.times.dropFirst()).allSatisfy { $1 - $0 == prices.width })
    // Deterministic, and the cursor wrapper records the same while passing candles through.
    let recorder = PriceRecordingCursor(
      ArrayCandleCursor(input),
      prices: PriceBuckets(symbol: "BTCUSDT", timeframe: .oneMinute, capacity: 500))
    var passed = 0
    while let c = try recorder.next() {
      #expect(c == input[passed])
      passed += 1
      if passed > 3 { break }
    }
    while try recorder.next() != nil { passed += 1 }
    #expect(passed == input.count)
    #expect(recorder.prices.times == prices.times && recorder.prices.highs == prices.highs)
  }

  /// Batches are recorded on another thread while the caller steps through them: the recording
  /// must equal adding every candle in order, even though the wrapped cursor overwrites its one
  /// buffer on each fetch (a recording that read a batch late would see the next one's candles).
  @Test func batchesRecordedOffThreadMatchCandleByCandle() throws {
    let input = candles(300_000)
    var prices = PriceBuckets(symbol: "BTCUSDT", timeframe: .oneMinute, capacity: 500)
    var tape = RegimeTape(symbol: "BTCUSDT", timeframe: .oneMinute)
    for c in input {
      prices.add(c)
      tape.add(c)
    }
    let recorder = PriceRecordingCursor(
      ReusedBufferCursor(input, batch: 4_099),
      prices: PriceBuckets(symbol: "BTCUSDT", timeframe: .oneMinute, capacity: 500),
      regimes: RegimeTape(symbol: "BTCUSDT", timeframe: .oneMinute))
    var passed: [Candle] = []
    // A few single candles first, then batches: the two calls may be mixed.
    for _ in 0..<3 { passed.append(try #require(try recorder.next())) }
    while case let batch = try recorder.nextBatch(), !batch.isEmpty { passed += batch }
    #expect(passed == input)
    #expect(recorder.prices.times == prices.times && recorder.prices.closes == prices.closes)
    #expect(recorder.prices.dayCloses == prices.dayCloses)
    let recorded = try #require(recorder.regimes)
    #expect(recorded.times == tape.times && recorded.codes == tape.codes)
    #expect(tape.times.count > 10)  // the candles went through several regimes
  }

  @Test func gapsKeepBucketsAligned() {
    var prices = PriceBuckets(symbol: "X", timeframe: .oneMinute, capacity: 4)
    for i in [0, 1, 2, 50, 51, 90] {
      prices.add(
        Candle(
          time: t0 + Int64(i) * 60_000, open: 1, high: Double(i + 2), low: 1, close: 1, volume: 0))
    }
    #expect(prices.count <= 8)
    #expect(prices.times.allSatisfy { ($0 - t0) % prices.width == 0 })
    #expect(prices.highs.max() == 92)
  }

  @Test func reportHasAPriceChartWithEntriesAndExitsAndStaysSelfContained() {
    let input = candles(200_000)
    var prices = PriceBuckets(symbol: "BTCUSDT", timeframe: .oneMinute)
    for c in input { prices.add(c) }
    let trades = [
      Trade(
        symbol: "BTCUSDT", side: .long, entryTime: input[1_000].time, entryPrice: 101,
        exitTime: input[2_000].time, exitPrice: 103, qty: 1, fees: 0, spreadCost: 0,
        slippageCost: 0, pnl: 2, r: 1, exitReason: .take),
      Trade(
        symbol: "BTCUSDT", side: .short, entryTime: input[50_000].time, entryPrice: 105,
        exitTime: input[60_000].time, exitPrice: 107, qty: 1, fees: 0, spreadCost: 0,
        slippageCost: 0, pnl: -2, r: -1, exitReason: .stop),
    ]
    let r = BacktestResult(
      strategy: "s", params: [], symbols: ["BTCUSDT"], timeframe: .oneMinute, candles: input.count,
      firstTime: t0, lastTime: input.last!.time, initialEquity: 1_000, finalEquity: 1_000,
      trades: trades,
      equity: [
        EquityPoint(time: t0, equity: 1_000), EquityPoint(time: input.last!.time, equity: 1_000),
      ],
      dailyEquity: [], maxDrawdown: 0, exposure: 0)
    let html = HTMLReport.render(r, metrics: Metrics.compute(r), prices: [prices])
    #expect(html.contains("aria-label=\"Price BTCUSDT\""))
    let chart = String(html[html.range(of: "aria-label=\"Price BTCUSDT\"")!.lowerBound...])
      .components(separatedBy: "</svg>")[0]
    // One marker path per kind present: a long entry, a short entry, a won and a lost exit.
    #expect(chart.contains("<title>long entries</title>"))
    #expect(chart.contains("<title>short entries</title>"))
    #expect(chart.contains("<title>winning exits</title>"))
    #expect(chart.contains("<title>losing exits</title>"))
    // Decimated: 200k candles draw as at most 2 × 600 buckets, a band and a close line.
    #expect(chart.count < 120_000)
    // Self-contained: scripts only inline, no external references; the one link is the
    // attribution the charting library's NOTICE asks for, the one other URL its licence's.
    #expect(!html.contains("<script src") && html.contains("<script>"))
    for needle in ["src=", "url(", "@import", "<link", "<img", "<iframe"] {
      #expect(!html.contains(needle), "\(needle)")
    }
    #expect(html.components(separatedBy: "href=").count - 1 == 1)
    #expect(html.contains("<a href=\"https://www.tradingview.com/\">TradingView</a>"))
    #expect(html.contains("Licensed under Apache License 2.0"))
    #expect(
      html.components(separatedBy: "http").count - 1 == html.components(
        separatedBy: "xmlns=\"http://www.w3.org/2000/svg\""
      ).count - 1 + 2)
    // The interactive chart's data: candles for every bucket, every trade's two markers on the
    // bucket that holds its time.
    let json = String(
      html[html.range(of: "id=\"wick-chart-data\">")!.upperBound...].components(
        separatedBy: "</script>")[0])
    let data = try! JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
    let series = (data["symbols"] as! [[String: Any]])[0]
    #expect((series["t"] as! [Int]).count == prices.count)
    #expect((series["o"] as! [Double]).count == prices.count)
    let marks = series["m"] as! [[Double]]
    #expect(marks.map { Int($0[1]) } == [0, 2, 1, 3])
    for m in marks {
      #expect((series["t"] as! [Int]).contains(Int(m[0])))
    }
    #expect(Int64(marks[0][0]) * 1000 <= input[1_000].time)
    #expect(Int64(marks[0][0]) * 1000 + prices.width > input[1_000].time)
    // Narrow screens: the trade table sits in a scroll box and drops secondary columns.
    #expect(html.contains("<div class=\"wide\"><table><tr><th class=\"l opt\">#</th>"))
    #expect(html.contains("@media (max-width:640px)"))
  }

  @Test func noPricesNoPriceSection() {
    let r = BacktestResult(
      strategy: "s", params: [], symbols: ["BTCUSDT"], timeframe: .oneMinute, candles: 0,
      firstTime: nil, lastTime: nil, initialEquity: 1, finalEquity: 1, trades: [], equity: [],
      dailyEquity: [], maxDrawdown: 0, exposure: 0)
    #expect(!HTMLReport.render(r, metrics: Metrics.compute(r)).contains("<h2>Price</h2>"))
  }
}
