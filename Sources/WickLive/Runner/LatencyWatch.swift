import Foundation
import WickData

/// Exchange requests slower than the configured limit become `latency_breach` incidents (seed
/// 001: "incident logging (SL failures, panic-closes, latency breaches)"): checked with the
/// heartbeat, for the run's own exchange host, at most one incident in `quiet`, which counts the
/// slow checks it folded in, so a slow exchange gets noticed (and notified) without flooding
/// the ledger.
struct LatencyWatch {
  /// `[exchange.NAME] latency_breach_seconds` when unset; 0 turns the check off.
  static let defaultLimit = 2.0

  let host: String
  let limit: Double
  /// Where the limit comes from, named in the incident.
  let setting: String
  var quiet: Int64 = 600_000
  private var lastReported: Int64?
  private var folded = RequestLatency.Peak()

  init(host: String, limit: Double, setting: String) {
    self.host = host
    self.limit = limit
    self.setting = setting
  }

  /// The incident's detail when the slowest request in `peak` (those since the last check)
  /// broke the limit and none was reported in the last `quiet` ms before `now`.
  mutating func breach(_ peak: RequestLatency.Peak?, now: Int64) -> String? {
    guard limit > 0, let peak, peak.slowest > limit else { return nil }
    if let last = lastReported, now - last < quiet {
      folded.count += 1
      folded.slowest = max(folded.slowest, peak.slowest)
      return nil
    }
    var detail =
      "requests to \(host): the slowest of \(peak.count) took \(Self.seconds(peak.slowest)) (limit \(Self.seconds(limit)), \(setting))"
    if folded.count > 0 {
      detail +=
        "; \(folded.count) more slow check(s) since the last report (slowest \(Self.seconds(folded.slowest)))"
    }
    lastReported = now
    folded = RequestLatency.Peak()
    return detail
  }

  static func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }
}
