import Foundation

/// How long the process's HTTP requests took, per host, as a cumulative histogram: every
/// `CurlHTTPClient` request adds to it; the runner moves what accumulated into the ledger with
/// its heartbeat (`RunLedger.addRequestLatency`), where `wick serve` reads it for `/metrics`.
public final class RequestLatency: @unchecked Sendable {
  public static let shared = RequestLatency()
  /// Upper bounds in seconds (Prometheus `le`); the last bucket is +Inf.
  public static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

  /// Requests to one host since the last drain: per-bucket (not cumulative) counts and the sum.
  public struct Tally: Sendable, Equatable {
    public var buckets = [Int](repeating: 0, count: RequestLatency.bounds.count + 1)
    public var count = 0
    public var sum = 0.0
    public init() {}
  }

  /// Requests to one host since its last `takePeak`, and the slowest of them.
  public struct Peak: Sendable, Equatable {
    public var count = 0
    public var slowest = 0.0
    public init(count: Int = 0, slowest: Double = 0) {
      self.count = count
      self.slowest = slowest
    }
  }

  private let lock = NSLock()
  private var tallies: [String: Tally] = [:]
  private var peaks: [String: Peak] = [:]

  public init() {}

  public func record(host: String, seconds: Double) {
    let i = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
    lock.withLock {
      var t = tallies[host, default: Tally()]
      t.buckets[i] += 1
      t.count += 1
      t.sum += seconds
      tallies[host] = t
      var peak = peaks[host, default: Peak()]
      peak.count += 1
      peak.slowest = max(peak.slowest, seconds)
      peaks[host] = peak
    }
  }

  /// The requests to `host` since the last call for it (nil: none), for a runner's
  /// latency-breach check of its own exchange. Apart from `drain`: one process may hold several
  /// runners (a run group, the tests), and each reads only its exchange's host.
  public func takePeak(host: String) -> Peak? {
    lock.withLock { peaks.removeValue(forKey: host) }
  }

  /// What accumulated since the last drain, and forget it.
  public func drain() -> [String: Tally] {
    lock.withLock {
      defer { tallies = [:] }
      return tallies
    }
  }

  /// The host of a URL (`api.bybit.com`, `127.0.0.1:8123`), the histogram's label.
  public static func host(of url: String) -> String {
    guard let c = URLComponents(string: url), let h = c.host else { return "unknown" }
    return c.port.map { "\(h):\($0)" } ?? h
  }
}
