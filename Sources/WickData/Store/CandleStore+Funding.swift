import GRDB
import WickCore

extension CandleStore {
  /// Upserts funding rates for `exchange`/`symbol` in one transaction (the `FundingSink` entry
  /// point). A rate that is not a finite number is an error and nothing is written.
  ///
  ///     try store.writeFunding([FundingRate(time: t, rate: 0.0001)], exchange: "bybit", symbol: "BTCUSDT")
  public func writeFunding(_ rates: [FundingRate], exchange: String, symbol: String) throws {
    if let bad = rates.first(where: { !$0.rate.isFinite }) {
      throw WickError.data(
        "\(exchange):\(symbol) funding rate at \(UTCTime.iso(bad.time)) is not a finite number; nothing written"
      )
    }
    guard !rates.isEmpty else { return }
    do {
      try database.write { db in
        let statement = try db.makeStatement(
          sql:
            "INSERT OR REPLACE INTO funding_rates (exchange, symbol, time, rate) VALUES (?, ?, ?, ?)"
        )
        for r in rates {
          try statement.execute(arguments: [exchange, symbol, r.time, r.rate])
        }
      }
    } catch {
      throw WickError.data(
        "writing \(exchange):\(symbol) funding rates to '\(path)': \(Self.describe(error))")
    }
  }

  /// The newest stored funding time for `exchange`/`symbol`, if any.
  public func lastFundingTime(exchange: String, symbol: String) throws -> Int64? {
    try read { db in
      try Int64.fetchOne(
        db, sql: "SELECT MAX(time) FROM funding_rates WHERE exchange = ? AND symbol = ?",
        arguments: [exchange, symbol])
    }
  }

  /// Funding rates of `exchange`/`symbol` with `from <= time < to` (nil bounds are open), in time order.
  ///
  ///     let rates = try store.fundingRates(exchange: "bybit", symbol: "BTCUSDT", from: start, to: end)
  public func fundingRates(exchange: String, symbol: String, from: Int64? = nil, to: Int64? = nil)
    throws
    -> [FundingRate]
  {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT time, rate FROM funding_rates
          WHERE exchange = ? AND symbol = ? AND time >= ? AND time < ? ORDER BY time
          """,
        arguments: [exchange, symbol, from ?? Int64.min, to ?? Int64.max]
      ).map { FundingRate(time: $0[0], rate: $0[1]) }
    }
  }
}
