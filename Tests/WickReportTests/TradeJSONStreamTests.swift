import Foundation
import Testing
import WickCore

@testable import WickReport

/// `--json` formats the trades on another core while the backtest runs (`TradeJSONStream`); the
/// file must be byte for byte what formatting them at the end gives, or be formatted at the end.
@Suite struct TradeJSONStreamTests {
  func document(_ r: BacktestResult, _ stream: TradeJSONStream?) -> [UInt8] {
    ResultJSON.withUTF8Parts(r, metrics: Metrics.compute(r), trades: stream) { parts in
      parts.flatMap { Array($0) }
    }
  }

  func streamed(_ trades: [Trade]) -> TradeJSONStream {
    let stream = TradeJSONStream()
    for t in trades { stream.append(t) }
    return stream
  }

  @Test(arguments: [0, 1, 3, TradeJSONStream.batchSize, TradeJSONStream.batchSize * 9 + 7])
  func streamedTradesGiveTheSameDocument(count: Int) {
    var r = GoldenFixture.result()
    let base = r.trades
    r.trades = (0..<count).map { base[$0 % base.count] }
    let whole = Array(ResultJSON.encode(r, metrics: Metrics.compute(r)).utf8)
    #expect(document(r, streamed(r.trades)) == whole)
    #expect(document(r, nil) == whole)
  }

  @Test func aStreamThatMissedTradesIsNotUsed() {
    var r = GoldenFixture.result()
    let whole = Array(ResultJSON.encode(r, metrics: Metrics.compute(r)).utf8)
    // One trade fewer, and a different last trade: both fall back to formatting at the end.
    #expect(document(r, streamed(Array(r.trades.dropLast()))) == whole)
    var other = r.trades
    other[other.count - 1].pnl += 1
    #expect(document(r, streamed(other)) == whole)
    // A result without trades and a stream that saw some.
    r.trades = []
    let empty = Array(ResultJSON.encode(r, metrics: Metrics.compute(r)).utf8)
    #expect(document(r, streamed(GoldenFixture.result().trades)) == empty)
  }
}
