import WickCore

/// Who else holds a symbol, beyond this run and this process: the ledger's `symbol_owners` (one
/// owner per symbol is its primary key, DESIGN.md "Risk").
public protocol SymbolClaims: AnyObject {
  /// Claims `symbol` for `account`; the refusal (`symbol_owned`) when another run owns it.
  func claim(symbol: String, account: String) -> Refusal?
}

/// While a run re-handles candles it already handled (a resume, `wick replay`): the outcome it
/// recorded for the decision being made now. Nil when deciding live.
public protocol RecordedVerdicts: AnyObject {
  func recordedOutcome(time: Int64) -> IntentOutcome?
}

/// A risk gate that asks the ledger who owns a symbol before it accepts an entry there. An
/// answer that came from outside the run is never asked again for a candle the run already
/// handled: the recorded one is re-applied (`verdicts`).
public protocol ClaimingRiskGate: RiskGate {
  var claims: SymbolClaims? { get set }
  var verdicts: RecordedVerdicts? { get set }
}

extension ClaimingRiskGate {
  /// The symbol claim's verdict on an entry every other rule accepted.
  func claimRefusal(symbol: String, account: String, time: Int64) -> Refusal? {
    if let recorded = verdicts?.recordedOutcome(time: time) {
      guard case .refused(let r) = recorded, r.code == "symbol_owned" else { return nil }
      return r
    }
    return claims?.claim(symbol: symbol, account: account)
  }
}
