import WickCore
import WickData
import WickRisk

/// The exchange's trading rules (lot step, minimum quantity and notional, tick size) a run sizes
/// with when it has a config: a live run reads them from the exchange and records them in
/// `run_instruments`; `wick replay` has no exchange to ask and uses the recorded ones.
extension Runner {
  /// The exchange's rules for the run's symbols: the live venue's, or those a replay loaded.
  func exchangeInstruments() -> [String: InstrumentSpec] {
    if let live = venue as? LiveVenue { return live.instrumentRules }
    return recovery.recordedRules
  }

  /// Records the live venue's rules for the run, unless the run has them already. A run recorded
  /// before the ledger kept them records them when it resumes: re-handling its candles then checks
  /// its recorded decisions against these rules (a difference is a `resume_divergence` incident).
  func recordInstruments() throws {
    guard let live = venue as? LiveVenue, try ledger.instruments(run: runID).isEmpty else {
      return
    }
    let rules = live.instrumentRules
    try ledger.recordInstruments(
      run: runID,
      spec.symbols.compactMap { symbol in
        rules[symbol].map {
          RunLedger.InstrumentRules(
            symbol: symbol, lotStep: $0.lotStep, minQty: $0.minQty,
            minNotional: $0.minNotional, tickSize: $0.tickSize)
        }
      })
  }

  /// The rules a replay of live run `run` sizes with. Its config's own `[instrument.X]` tables
  /// win, as they did live; every other symbol needs a recorded row, or the replay would size on
  /// rules the run never used.
  static func recordedInstruments(
    ledger: RunLedger, run: Int64, symbols: [String], config: WickConfig, configPath: String
  ) throws -> [String: InstrumentSpec] {
    var rules: [String: InstrumentSpec] = [:]
    for r in try ledger.instruments(run: run) {
      rules[r.symbol] = InstrumentSpec(
        lotStep: r.lotStep, minQty: r.minQty, minNotional: r.minNotional, tickSize: r.tickSize)
    }
    let missing = symbols.filter { rules[$0] == nil && config.instruments[$0] == nil }
    guard missing.isEmpty else {
      let tables = missing.map { "[instrument.\($0)]" }.joined(separator: ", ")
      throw WickError.data(
        """
        run \(run) is a live run recorded before the ledger kept the exchange's instrument rules, \
        and it sized with \(configPath), which does not give them for \(missing.joined(separator: ", ")): \
        a replay cannot round quantities and prices as the run did. Add \(tables) with lot_step, \
        min_qty, min_notional and tick_size as the exchange had them (its instrument \
        rules) to a copy of \(configPath), then run \
        `wick replay \(run) --config COPY`
        """)
    }
    return rules
  }
}
