import Foundation
import WickCore
import WickData
import WickRisk
import WickSim

// One owner per symbol across runs and processes: the ledger's `symbol_owners`. A run with a
// config claims a symbol when its risk gate accepts an entry there — before the order row is
// written — and releases it once it holds neither a position nor a pending entry there.

extension RunSpec {
  /// Venues that share exposure share symbol ownership: paper on one exchange, Bybit testnet,
  /// Bybit mainnet.
  var claimScope: String {
    mode == .paper ? "paper:\(exchange)" : "live:\(exchange):\(testnet ? "testnet" : "mainnet")"
  }
}

extension Runner {
  /// Symbols claimed in the ledger by a risk gate that claims them (a run with a config).
  func bindClaims() throws {
    guard let gate = kernel.risk as? ClaimingRiskGate else { return }
    gate.verdicts = journal
    let claims = LedgerSymbolClaims(ledger: ledger, scope: spec.claimScope, run: runID)
    try claims.load()
    gate.claims = claims
  }

  /// The symbols this run owns in the ledger (runs with a config): its risk gate's claims.
  var symbolClaims: LedgerSymbolClaims? {
    (kernel.risk as? ClaimingRiskGate)?.claims as? LedgerSymbolClaims
  }

  /// Releases the symbols the run no longer holds (no position, no pending entry).
  func releaseClaims() throws {
    guard let claims = symbolClaims, !claims.held.isEmpty else { return }
    let held = kernel.symbols.indices.filter {
      kernel.book.positions[$0] != nil || venue.hasPendingEntry(symbol: $0)
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
