import Foundation
import WickCore
import WickRisk

/// The user's reset of a killed virtual account (the kill refusal says "reset it to trade
/// again"): a `reset_account` command from the dashboard, applied between candles, recorded as
/// a `control` decision (a resume re-applies it where it happened) and an `account_reset`
/// incident with the user's reason.
extension Runner {
  /// The risk engine holding the run's accounts (a [[run]] entry's gate keeps them in its own).
  var accountEngine: RiskEngine? {
    (kernel.risk as? RiskEngine) ?? (kernel.risk as? GroupRiskGate)?.engine
  }

  /// The killed account named `name`, by index, or why it cannot be reset.
  func killedAccount(named name: String) -> Result<Int, RunControl.Refused> {
    guard let engine = accountEngine else {
      return .failure(
        RunControl.Refused(
          reason: "run \(runID) has no [risk] accounts (no config): nothing is ever killed"))
    }
    guard let i = engine.accounts.firstIndex(where: { $0.name == name }) else {
      let names = engine.accounts.map(\.name).joined(separator: ", ")
      return .failure(
        RunControl.Refused(reason: "no account '\(name)' in run \(runID) (accounts: \(names))"))
    }
    guard engine.accounts[i].killed else {
      return .failure(RunControl.Refused(reason: "account '\(name)' is not killed"))
    }
    return .success(i)
  }

  /// Resets account `name` if it is killed (the recorded control's effect); a refusal is an
  /// incident. Returns whether it reset.
  func resetAccount(named name: String, time: Int64) -> Bool {
    switch killedAccount(named: name) {
    case .success(let i):
      accountEngine?.resetAccount(symbol: i, portfolio: kernel)
      return true
    case .failure(let refused):
      journal.incident(time: time, kind: "control_refused", detail: refused.reason)
      return false
    }
  }

  /// A `reset_account` command: `{"account": ..., "reason": ...}`, checked before anything
  /// changes. Returns the command's status and outcome.
  func resetAccount(payload: String, source: String, time: Int64) -> (String, String) {
    guard
      let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
      let name = object["account"] as? String, !name.isEmpty
    else { return ("rejected", "payload must be {\"account\": ..., \"reason\": ...}") }
    let reason = (object["reason"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    guard !reason.isEmpty else {
      return ("rejected", "say why account '\(name)' may trade again (a reason is required)")
    }
    let was: String
    switch killedAccount(named: name) {
    case .failure(let refused): return ("rejected", refused.reason)
    case .success(let i): was = accountEngine?.accounts[i].killReason ?? "killed"
    }
    let control = RunControl.resetAccount(account: name, reason: reason)
    guard applyControl(detail: control.detailJSON, time: time) else {
      return ("rejected", "account '\(name)' could not be reset")
    }
    journal.incident(
      time: time, kind: "account_reset",
      detail: "\(name) reset by \(source) (it was killed: \(was)): \(reason)", account: name)
    do { try journal.commitNotes(stateAt: time) } catch {
      return ("done", "reset \(name); recording it failed: \(error)")
    }
    return ("done", "reset \(name): it may open positions again")
  }
}
