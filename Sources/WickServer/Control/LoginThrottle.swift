import Foundation

/// Failed logins per client (its IP address): after `freeAttempts` wrong tokens, the client must
/// wait before its next try — 2 s, doubling with each further failure, up to 15 minutes — and
/// while it waits no token is checked at all, the right one included. People choose short
/// tokens; this turns guessing one into years. A success forgets the client's failures; a
/// client quiet for `forgetAfter` is forgotten too.
actor LoginThrottle {
  struct Record {
    var failures = 0
    var lockedUntil = Date.distantPast
    var lastSeen = Date()
  }

  let freeAttempts: Int
  let firstLockout: TimeInterval
  let maxLockout: TimeInterval
  let forgetAfter: TimeInterval
  private let capacity: Int
  private var clients: [String: Record] = [:]

  init(
    freeAttempts: Int = 5, firstLockout: TimeInterval = 2, maxLockout: TimeInterval = 900,
    forgetAfter: TimeInterval = 3600, capacity: Int = 10_000
  ) {
    self.freeAttempts = freeAttempts
    self.firstLockout = firstLockout
    self.maxLockout = maxLockout
    self.forgetAfter = forgetAfter
    self.capacity = capacity
  }

  /// Seconds the client must still wait before a login is looked at (nil: go ahead).
  func wait(_ client: String, now: Date = Date()) -> TimeInterval? {
    guard let r = clients[client] else { return nil }
    if now.timeIntervalSince(r.lastSeen) > forgetAfter {
      clients[client] = nil
      return nil
    }
    let left = r.lockedUntil.timeIntervalSince(now)
    return left > 0 ? left : nil
  }

  /// Records a wrong token; returns the lockout it earned (nil while attempts are free).
  @discardableResult
  func failed(_ client: String, now: Date = Date()) -> TimeInterval? {
    if clients[client] == nil, clients.count >= capacity,
      let oldest = clients.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key
    {
      clients[oldest] = nil
    }
    var r = clients[client] ?? Record()
    r.failures += 1
    r.lastSeen = now
    var lockout: TimeInterval?
    if r.failures >= freeAttempts {
      let n = Double(r.failures - freeAttempts)
      lockout = min(maxLockout, firstLockout * pow(2, min(n, 30)))
      r.lockedUntil = now.addingTimeInterval(lockout!)
    }
    clients[client] = r
    return lockout
  }

  func succeeded(_ client: String) { clients[client] = nil }
}
