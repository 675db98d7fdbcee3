import Foundation
import Testing
import WickCore
import WickData
import WickTesting

/// `wick data fetch --open-interest --long-short`, `wick data ls` and `wick data record` as a user
/// runs them (the `wick` binary), against a loopback Binance that keeps 30 days of these series.
@Suite(.serialized) final class DataExtrasCommandTests: RunProcessWorld {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-extras-cli-\(UUID().uuidString)")
  let hour = Timeframe(milliseconds: 3_600_000)

  init() throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(at: dir) }

  @Test func binanceSaysPlainlyThatOnlyThirtyDaysExistAndStoresThem() throws {
    let start: Int64 = 1_704_067_200_000
    var synth = CandleSynthesizer(seed: 4, timeframe: hour, start: start)
    let candles = (0..<(40 * 24)).map { _ in synth.next() }
    let mock = try MockExchange(candles: candles, timeframe: hour)
    defer { mock.stop() }
    mock.metricHorizon = 30 * 86_400_000
    mock.openInterest = candles.map { MetricSample(time: $0.time, value: $0.close * 10) }
    mock.longShortRatio = candles.map { MetricSample(time: $0.time, value: 1.25) }
    let common = [
      "data", "fetch", "--exchange", "binance", "--base-url", mock.baseURL, "--symbol", "BTCUSDT",
      "--from", UTCTime.iso(start), "--db", db,
    ]
    let (status, out) = try runWick(
      common + ["--timeframe", "1h", "--open-interest", "--long-short"])
    #expect(status == 0, "\(out)")
    #expect(out.contains("keeps open_interest for the last 30 days only"), "\(out)")
    #expect(out.contains("keeps long_short_ratio for the last 30 days only"), "\(out)")
    #expect(out.contains("960 new candles"), "\(out)")
    let store = try CandleStore(path: db)
    let key = SeriesKey(exchange: "binance", symbol: "BTCUSDT", timeframe: hour)
    let oi = try store.metricSamples(.openInterest, series: key)
    #expect(oi.count >= 30 * 24 - 2 && oi.count <= 30 * 24)
    #expect(oi.last?.time == candles.last?.time)
    #expect(try store.metricSamples(.longShortRatio, series: key).count == oi.count)

    // An interval the endpoint lacks: an error naming the nearest, and nothing fetched.
    let before = mock.requests.count
    let (bad, message) = try runWick(common + ["--timeframe", "1m", "--open-interest"])
    #expect(bad != 0)
    #expect(message.contains("nearest interval it offers is 5m"), "\(message)")
    #expect(mock.requests.count == before)

    let (lsStatus, listing) = try runWick(["data", "ls", "--db", db])
    #expect(lsStatus == 0)
    let rows = listing.split(separator: "\n").map(String.init)
    #expect(
      rows.contains {
        $0.hasPrefix("open_interest") && $0.contains("binance") && $0.contains("1h")
      }, "\(listing)")
    #expect(rows.contains { $0.hasPrefix("long_short_ratio") && $0.contains(" 0") }, "\(listing)")
  }

  @Test func recordNeedsSomethingToRecord() throws {
    let (status, out) = try runWick([
      "data", "record", "--exchange", "bybit", "--symbol", "BTCUSDT", "--db", db,
    ])
    #expect(status != 0)
    #expect(out.contains("nothing to record: pass --liquidations"), "\(out)")
    let (kraken, text) = try runWick([
      "data", "record", "--exchange", "kraken", "--symbol", "BTCUSDT", "--liquidations", "--db", db,
    ])
    #expect(kraken != 0 && text.contains("expected bybit or binance"), "\(text)")
  }
}
