import Foundation
import WickCore
import WickData
import WickRisk

/// `wick replay RUN_ID`: re-runs a recorded paper (or live) session's candles from the cache
/// through the same kernel — a paper session with the backtest's simulated venue, a live one
/// with the exchange's recorded fills (`RecordedVenue`) — with the script versions and params
/// timeline it recorded, and compares every decision with the ledger.
public struct ReplayReport: Sendable, Equatable {
  public var identical: Bool
  public var decisions: Int
  public var firstDivergence: LedgerJournal.Divergence?

  public var json: String {
    let divergence = firstDivergence.map {
      DecisionJSON.object([
        ("seq", .int(Int64($0.seq))), ("time", .string(UTCTime.iso($0.time))),
        ("expected", .string($0.expected)), ("got", .string($0.got)),
      ])
    }
    return DecisionJSON.object([
      ("identical", .bool(identical)), ("decisions", .int(Int64(decisions))),
      ("first_divergence", .raw(divergence ?? "null")),
    ]) + "\n"
  }
}

extension Runner {
  /// Replays run `id` of the ledger in `dbPath` (with `configPath` instead of the config the run
  /// recorded, when given). Nothing is written.
  public static func replay(run id: Int64, dbPath: String, configPath: String? = nil) throws
    -> ReplayReport
  {
    let store = try CandleStore(path: dbPath)
    let ledger = try RunLedger(store: store)
    guard let row = try ledger.run(id), row.kind != "backtest" else {
      throw WickError.invalidArgument("run \(id): no paper or live run with that id in \(dbPath)")
    }
    guard let first = row.firstTime, let last = row.lastTime else {
      throw WickError.data("run \(id) has not handled a candle yet: nothing to replay")
    }
    var spec = RunSpec(
      strategyPath: row.scriptPath ?? row.strategy, symbols: row.symbols,
      timeframe: try Timeframe(parsing: row.timeframe))
    spec.dbPath = dbPath
    var recordedConfigPath: String?
    if let args = row.argsJSON.flatMap({
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }) {
      recordedConfigPath = args["config"] as? String
      spec.configPath = recordedConfigPath
      spec.initialEquity = (args["equity"] as? NSNumber)?.doubleValue ?? spec.initialEquity
      spec.exchange = args["exchange"] as? String ?? spec.exchange
      spec.group = args["group"] as? Bool ?? false
    }
    if let configPath { spec.configPath = configPath }
    // The replay never reads the params file: the recorded params are the whole truth.
    spec.paramsFile = nil
    // A live run sized from the exchange's equity, which the run recorded.
    spec.initialEquity = row.initialEquity
    let runner = try Runner(spec: spec, output: { _ in })
    runner.runID = id
    // A run of a group re-applies the shared governor's recorded verdicts.
    // A [[run]] entry's own [run.schedule] is found by the arguments the run recorded, its paths
    // resolved where the run's file was (a --config copy elsewhere holds the same entries).
    let config = try spec.configPath.map {
      RunPlan.config(
        try WickConfig.load(path: $0), configPath: recordedConfigPath ?? $0,
        forRun: row.argsJSON ?? "")
    }
    if spec.group, let config {
      runner.membership = GroupMembership(shared: SharedGovernor(config: config))
    }
    // The versions and plugins the run recorded, not today's files.
    guard
      try runner.scripts.startFromRecorded(
        ledger.scriptVersions(run: id), plugins: ledger.versionPlugins(run: id))
    else {
      throw WickError.data("run \(id) has no recorded script version")
    }
    let recorded = try ledger.decisions(run: id)
    if row.kind == RunSpec.Mode.live.rawValue {
      // The exchange's fills, as recorded, instead of the simulated ones.
      runner.recovery.recordedVenue = try RecordedVenue(
        ledger: ledger, run: id, recorded: recorded,
        capabilities: LiveExchanges.named(spec.exchange)?.capabilities ?? []
      ) {
        [unowned runner] in
        runner.journal.decisionCount
      }
      // And its instrument rules, which sized the run's entries.
      if let config, let path = spec.configPath {
        runner.recovery.recordedRules = try recordedInstruments(
          ledger: ledger, run: id, symbols: spec.symbols, config: config, configPath: path)
      }
    }
    try runner.makeKernel(config: config)
    // Funding: the settlements the run charged, at the candles it charged them.
    try runner.funding?.useRecorded(recorded, through: .max)
    runner.recovery.follow(recorded)
    try runner.recovery.followMissing(ledger: ledger, run: id)
    runner.journal = LedgerJournal(
      run: id, ledger: nil, symbols: spec.symbols, recorded: recorded, verifyUntil: .max)
    runner.kernel.journal = runner.journal
    // Verdicts from outside the run (other runs, the ledger's symbol owners) are re-applied.
    (runner.kernel.risk as? ClaimingRiskGate)?.verdicts = runner.journal
    try runner.kernel.start()
    let exchange = try spec.marketAPI().storageName
    _ = try runner.handleCached(from: first, to: last + 1, exchange: exchange)
    runner.journal.checkComplete(through: .max)
    let d = runner.journal.divergence
    return ReplayReport(
      identical: d == nil, decisions: d == nil ? runner.journal.decisionCount : d!.seq,
      firstDivergence: d)
  }
}
