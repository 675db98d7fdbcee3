import Foundation

/// Browser sessions: a random id in an HttpOnly, SameSite=Strict cookie maps to a CSRF token and
/// whether the dashboard token was entered. The token itself is never stored in the cookie, a
/// URL or a log; it is compared once, at login.
actor SessionStore {
  struct Session: Sendable {
    var csrf: String
    var unlocked: Bool
    var lastSeen: Date
  }

  static let cookieName = "wick_session"
  private var sessions: [String: Session] = [:]
  private let idleLimit: TimeInterval
  private let capacity: Int

  init(idleLimit: TimeInterval = 12 * 3600, capacity: Int = 1_000) {
    self.idleLimit = idleLimit
    self.capacity = capacity
  }

  /// The live session for `id`, touched; nil when unknown or idle too long.
  func session(_ id: String?) -> Session? {
    guard let id, var s = sessions[id] else { return nil }
    let now = Date()
    guard now.timeIntervalSince(s.lastSeen) < idleLimit else {
      sessions[id] = nil
      return nil
    }
    s.lastSeen = now
    sessions[id] = s
    return s
  }

  /// A new session (locked), evicting the least recently seen when full.
  func create(unlocked: Bool = false) -> (id: String, session: Session) {
    if sessions.count >= capacity,
      let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key
    {
      sessions[oldest] = nil
    }
    let id = Self.randomToken()
    let s = Session(csrf: Self.randomToken(), unlocked: unlocked, lastSeen: Date())
    sessions[id] = s
    return (id, s)
  }

  /// Replaces `old` by a new unlocked session (a fresh id after login, so an id seen before
  /// login is worth nothing after it).
  func unlock(replacing old: String?) -> (id: String, session: Session) {
    if let old { sessions[old] = nil }
    return create(unlocked: true)
  }

  func end(_ id: String?) {
    if let id { sessions[id] = nil }
  }

  /// 32 random bytes as hex, from the system's cryptographic generator.
  static func randomToken() -> String {
    var rng = SystemRandomNumberGenerator()
    return (0..<4).map { _ in
      let v = rng.next() as UInt64
      let hex = String(v, radix: 16)
      return String(repeating: "0", count: 16 - hex.count) + hex
    }.joined()
  }
}

/// Compares two secrets in time that does not depend on where they first differ.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
  let x = Array(a.utf8)
  let y = Array(b.utf8)
  var diff = UInt8(x.count == y.count ? 0 : 1)
  for i in 0..<max(x.count, y.count) {
    diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
  }
  return diff == 0
}
