import Foundation
import WickCore
import WickData
import WickRisk
import WickSim

/// A run's place under its process's `SharedGovernor` (`wick run --config` with `[[run]]`
/// entries): its risk gate is a `GroupRiskGate` whose shared verdicts are printed, recorded as
/// decisions and re-applied when the run re-handles candles (resume, replay).
final class GroupMembership {
  let shared: SharedGovernor
  private(set) var gate: GroupRiskGate?

  init(shared: SharedGovernor) { self.shared = shared }

  func makeGate(config: WickConfig, strategy: String, symbols: [String], equity: Double)
    -> GroupRiskGate
  {
    let g = GroupRiskGate(
      config: config, strategy: strategy, symbols: symbols, initialEquity: equity, shared: shared)
    gate = g
    return g
  }

  func attach(kernel: TradingKernel) {
    guard let gate else { return }
    shared.attach(member: gate.member, portfolio: kernel)
  }

  /// Every refusal that came from the shared governor is printed with its run.
  func bind(run: Int64, output: @escaping (String) -> Void) {
    gate?.onSharedRefusal = { symbol, refusal in
      output("refused: run \(run) \(symbol): \(refusal.code): \(refusal.detail)")
    }
  }
}
