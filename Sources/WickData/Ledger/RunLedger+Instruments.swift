import GRDB

extension RunLedger {
  /// One symbol's trading rules as the exchange gave them to a run (`run_instruments`).
  public struct InstrumentRules: Sendable, Equatable {
    public var symbol: String
    public var lotStep: Double
    public var minQty: Double
    public var minNotional: Double
    public var tickSize: Double
    public init(
      symbol: String, lotStep: Double, minQty: Double, minNotional: Double, tickSize: Double
    ) {
      self.symbol = symbol
      self.lotStep = lotStep
      self.minQty = minQty
      self.minNotional = minNotional
      self.tickSize = tickSize
    }
  }

  /// Records the rules run `run` sizes with (once, when the run is created).
  public func recordInstruments(run: Int64, _ rules: [InstrumentRules]) throws {
    try write { db in
      for r in rules {
        try db.execute(
          sql: """
            INSERT INTO run_instruments (run_id, symbol, lot_step, min_qty, min_notional, tick_size)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
          arguments: [run, r.symbol, r.lotStep, r.minQty, r.minNotional, r.tickSize])
      }
    }
  }

  /// The rules run `run` recorded, by symbol name; empty for a run recorded before they were.
  public func instruments(run: Int64) throws -> [InstrumentRules] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT symbol, lot_step, min_qty, min_notional, tick_size FROM run_instruments
          WHERE run_id = ? ORDER BY symbol
          """,
        arguments: [run]
      ).map {
        InstrumentRules(
          symbol: $0["symbol"], lotStep: $0["lot_step"], minQty: $0["min_qty"],
          minNotional: $0["min_notional"], tickSize: $0["tick_size"])
      }
    }
  }
}
