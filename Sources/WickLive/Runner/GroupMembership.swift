import Foundation
import WickCore
import WickData
import WickRisk
import WickSim

/// A run's place under its process's `SharedGovernor` (`wick run --config` with `[[run]]`
/// entries): its risk gate is a `GroupRiskGate`, its symbols are claimed in the ledger, and the
/// shared verdicts it recorded are re-applied when it re-handles candles (resume, replay).
final class GroupMembership {
  let shared: SharedGovernor
  /// Venues that share exposure share ownership: paper on one exchange, Bybit testnet, mainnet.
  let scope: String
  private(set) var gate: GroupRiskGate?
  private var claims: LedgerSymbolClaims?

  init(shared: SharedGovernor, spec: RunSpec) {
    self.shared = shared
    scope =
      spec.mode == .paper
      ? "paper:\(spec.exchange)" : "live:\(spec.exchange):\(spec.testnet ? "testnet" : "mainnet")"
  }

  func makeGate(config: WickConfig, strategy: String, spec: RunSpec) -> GroupRiskGate {
    let g = GroupRiskGate(
      config: config, strategy: strategy, symbols: spec.symbols,
      initialEquity: spec.initialEquity, shared: shared)
    gate = g
    return g
  }

  func attach(kernel: TradingKernel) {
    guard let gate else { return }
    shared.attach(member: gate.member, portfolio: kernel)
  }

  /// Once the run has its id and journal: recorded verdicts come from the journal, claims go to
  /// the ledger (not in `wick replay`, which has no ledger to write), refusals are printed.
  func bind(
    run: Int64, journal: LedgerJournal, ledger: RunLedger?, output: @escaping (String) -> Void
  )
    throws
  {
    guard let gate else { return }
    gate.verdicts = journal
    if let ledger {
      let c = LedgerSymbolClaims(ledger: ledger, scope: scope, run: run)
      try c.load()
      claims = c
      gate.claims = c
    }
    gate.onSharedRefusal = { symbol, refusal in
      output("refused: run \(run) \(symbol): \(refusal.code): \(refusal.detail)")
    }
  }

  /// Releases the symbols the run no longer holds (no position, no pending entry).
  func releaseClaims(kernel: TradingKernel) throws {
    guard let claims, !claims.held.isEmpty else { return }
    let held = kernel.symbols.indices.filter {
      kernel.book.positions[$0] != nil || kernel.venue.hasPendingEntry(symbol: $0)
    }.map { kernel.symbols[$0] }
    try claims.keep(Set(held))
  }
}

/// `SymbolClaims` on the ledger's `symbol_owners`; remembers what this run holds so that
/// releasing costs a write only when something is released.
final class LedgerSymbolClaims: SymbolClaims {
  let ledger: RunLedger
  let scope: String
  let run: Int64
  private(set) var held: Set<String> = []

  init(ledger: RunLedger, scope: String, run: Int64) {
    self.ledger = ledger
    self.scope = scope
    self.run = run
  }

  func load() throws { held = Set(try ledger.ownedSymbols(run: run)) }

  func claim(symbol: String, account: String) -> Refusal? {
    do {
      if let owner = try ledger.claimSymbol(
        scope: scope, symbol: symbol, run: run, account: account)
      {
        return Refusal(
          "symbol_owned", "\(symbol) is owned by account \(owner.account) of run \(owner.run)")
      }
      held.insert(symbol)
      return nil
    } catch {
      // Without the ledger's answer nobody can tell who owns the symbol: refuse.
      return Refusal("symbol_owned", "\(symbol): the ledger's owner could not be read: \(error)")
    }
  }

  func keep(_ symbols: Set<String>) throws {
    guard !held.isSubset(of: symbols) else { return }
    let keeping = held.intersection(symbols)
    try ledger.releaseSymbols(run: run, keeping: keeping.sorted())
    held = keeping
  }
}

extension LedgerJournal: RecordedVerdicts {
  /// While verifying: the recorded decision about to be regenerated, as an outcome (a refusal
  /// with its code and reason, or an acceptance).
  public func recordedOutcome(time: Int64) -> IntentOutcome? {
    guard time <= verifyUntil else { return nil }
    guard decisionCount < recorded.count else { return .accepted(qty: 0) }
    let d = recorded[decisionCount]
    guard d.kind == "refusal",
      let object = try? JSONSerialization.jsonObject(with: Data(d.detailJSON.utf8))
        as? [String: Any],
      let code = object["code"] as? String
    else { return .accepted(qty: 0) }
    return .refused(Refusal(code, object["detail"] as? String ?? ""))
  }
}
