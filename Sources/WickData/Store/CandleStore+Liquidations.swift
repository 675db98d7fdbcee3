import GRDB
import WickCore

/// Liquidations recorded from the exchanges' public streams, per minute, and the spans a
/// recorder was connected for: a minute inside a span with no row had no liquidation; a minute
/// outside every span is unknown (a gap), never zero.
extension CandleStore {
  /// Records the closed minutes `[from, to)` of one connection: the buckets that had
  /// liquidations and the span itself (merged with a span ending at `from`), in one transaction.
  ///
  ///     try store.recordLiquidations(buckets, exchange: "bybit", symbol: "BTCUSDT", from: m0, to: m1)
  public func recordLiquidations(
    _ buckets: [LiquidationBucket], exchange: String, symbol: String, from: Int64, to: Int64
  ) throws {
    guard from < to else { return }
    for b in buckets {
      guard b.time >= from, b.time < to, b.time % 60_000 == 0 else {
        throw WickError.data(
          "\(exchange):\(symbol) liquidations at \(UTCTime.iso(b.time)) are outside the recorded minutes \(UTCTime.iso(from)) to \(UTCTime.iso(to)); nothing written"
        )
      }
      guard b.longNotional.isFinite, b.shortNotional.isFinite, b.count >= 0 else {
        throw WickError.data(
          "\(exchange):\(symbol) liquidations at \(UTCTime.iso(b.time)) are not finite; nothing written"
        )
      }
    }
    do {
      try database.write { db in
        let insert = try db.makeStatement(
          sql: """
            INSERT INTO liquidations (exchange, symbol, time, count, long_notional, short_notional)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (exchange, symbol, time) DO UPDATE SET
              count = count + excluded.count,
              long_notional = long_notional + excluded.long_notional,
              short_notional = short_notional + excluded.short_notional
            """)
        for b in buckets where b.count > 0 {
          try insert.execute(
            arguments: [exchange, symbol, b.time, b.count, b.longNotional, b.shortNotional])
        }
        let joined = try Int64.fetchOne(
          db,
          sql: """
            SELECT from_time FROM liquidation_coverage
            WHERE exchange = ? AND symbol = ? AND to_time >= ? AND from_time <= ?
            ORDER BY from_time LIMIT 1
            """,
          arguments: [exchange, symbol, from, from])
        if let start = joined {
          try db.execute(
            sql: """
              UPDATE liquidation_coverage SET to_time = MAX(to_time, ?)
              WHERE exchange = ? AND symbol = ? AND from_time = ?
              """,
            arguments: [to, exchange, symbol, start])
        } else {
          try db.execute(
            sql: """
              INSERT OR REPLACE INTO liquidation_coverage (exchange, symbol, from_time, to_time)
              VALUES (?, ?, ?, ?)
              """,
            arguments: [exchange, symbol, from, to])
        }
      }
    } catch let e as WickError {
      throw e
    } catch {
      throw WickError.data(
        "recording \(exchange):\(symbol) liquidations in '\(path)': \(Self.describe(error))")
    }
  }

  /// Recorded buckets with `from <= time < to`, in time order.
  public func liquidationBuckets(
    exchange: String, symbol: String, from: Int64? = nil, to: Int64? = nil
  ) throws -> [LiquidationBucket] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT time, count, long_notional, short_notional FROM liquidations
          WHERE exchange = ? AND symbol = ? AND time >= ? AND time < ? ORDER BY time
          """,
        arguments: [exchange, symbol, from ?? Int64.min, to ?? Int64.max]
      ).map {
        LiquidationBucket(time: $0[0], count: $0[1], longNotional: $0[2], shortNotional: $0[3])
      }
    }
  }

  /// The spans a recorder covered, merged and in time order.
  public func liquidationCoverage(exchange: String, symbol: String) throws -> [Range<Int64>] {
    let spans = try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT from_time, to_time FROM liquidation_coverage
          WHERE exchange = ? AND symbol = ? ORDER BY from_time
          """,
        arguments: [exchange, symbol]
      ).map { (row: Row) -> Range<Int64> in (row[0] as Int64)..<(row[1] as Int64) }
    }
    var merged: [Range<Int64>] = []
    for r in spans where !r.isEmpty {
      if let last = merged.last, r.lowerBound <= last.upperBound {
        merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
      } else {
        merged.append(r)
      }
    }
    return merged
  }

  /// Every exchange/symbol with recorded liquidation spans.
  public func liquidationSymbols() throws -> [(exchange: String, symbol: String)] {
    try read { db in
      try Row.fetchAll(
        db,
        sql:
          "SELECT DISTINCT exchange, symbol FROM liquidation_coverage ORDER BY exchange, symbol"
      ).map { ($0[0], $0[1]) }
    }
  }
}
