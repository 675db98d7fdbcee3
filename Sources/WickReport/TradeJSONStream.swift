import Foundation
import WickCore

/// The `trades` array of `--json`, written on the second core while the backtest runs.
///
/// The simulation hands closed trades over in batches (`append` only stores them, so its thread
/// barely notices); a background queue turns each batch into text. When the run ends there is
/// nothing left to format: `ResultJSON.withUTF8Parts` splices the text in, byte for byte what
/// writing the trades at the end would give.
///
///     let stream = TradeJSONStream()
///     engine.onTradeClosed = stream.append
///     let result = try engine.run(source: source)
///     try ResultJSON.withUTF8Parts(result, metrics: m, trades: stream) { parts in … }
public final class TradeJSONStream: @unchecked Sendable {
  /// Trades per hand-over: few enough queue hops to be free, small enough to keep up.
  static let batchSize = 1_024

  // The simulation thread's side.
  private var pending: [Trade] = []
  // The queue's side; read by `finish` after the queue has drained.
  private var text = JSONWriter(capacity: 1 << 16)
  private var written = 0
  private var last: Trade?
  private let queue = DispatchQueue(label: "wick.json.trades", qos: .userInitiated)

  public init() { pending.reserveCapacity(Self.batchSize) }

  /// Takes a closed trade (on the simulation's thread).
  public func append(_ trade: Trade) {
    pending.append(trade)
    if pending.count >= Self.batchSize { handOver() }
  }

  private func handOver() {
    let batch = pending
    pending = []
    pending.reserveCapacity(Self.batchSize)
    queue.async { self.write(batch) }
  }

  private func write(_ batch: [Trade]) {
    ResultJSON.elements(batch, first: written == 0, &text, ResultJSON.trade)
    written += batch.count
    last = batch.last ?? last
  }

  /// The text of every trade handed over, once written; nil unless they are exactly `trades`
  /// (same count, same last trade), so a result the stream did not follow is written afresh.
  func finish(matching trades: [Trade]) -> JSONWriter? {
    if !pending.isEmpty { handOver() }
    return queue.sync {
      written == trades.count && last == trades.last ? text : nil
    }
  }
}
