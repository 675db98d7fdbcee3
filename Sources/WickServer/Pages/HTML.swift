import Foundation
import WickCore
import WickReport

/// Small pieces every page uses: escaping, number and time formats, the page frame.
enum HTML {
  static func text(_ s: String) -> String { HTMLEscape.text(s) }
  static func attr(_ s: String) -> String { HTMLEscape.attribute(s) }

  static func money(_ v: Double) -> String { String(format: "%.2f", v) }
  static func signedMoney(_ v: Double) -> String { String(format: "%+.2f", v) }
  static func price(_ v: Double?) -> String {
    guard let v else { return "—" }
    return abs(v) >= 1000
      ? String(format: "%.2f", v)
      : abs(v) >= 1 ? String(format: "%.4f", v) : String(format: "%.6g", v)
  }
  static func qty(_ v: Double) -> String { String(format: "%.6g", v) }
  /// "2026-11-23 14:05:09" (UTC, to the second), short enough for a phone column.
  static func time(_ ms: Int64?) -> String {
    guard let ms else { return "—" }
    return String(UTCTime.iso(ms).prefix(19)).replacingOccurrences(of: "T", with: " ")
  }
  static func tone(_ v: Double) -> String { v > 0 ? "pos" : v < 0 ? "neg" : "" }

  /// A status as a coloured badge (running green, paused amber, halted/failed red).
  static func badge(_ status: String) -> String {
    "<span class=\"badge s-\(attr(status))\">\(text(status))</span>"
  }

  /// The frame around every page: header with navigation and the session state, then `body`.
  static func page(title: String, body: String, session: PageSession) -> String {
    """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(text(title)) — Wick</title>
    <link rel="stylesheet" href="/assets/dashboard.css">
    <script src="/assets/dashboard.js" defer></script>
    </head><body>
    <header class="top"><a class="brand" href="/runs">Wick</a>
    <nav><a href="/runs">Runs</a> <a href="/sweeps">Sweeps</a></nav>
    \(sessionControl(session))
    </header>
    <main>
    \(body)
    </main>
    </body></html>

    """
  }

  /// Login (password field) or logout, or the read-only note, in the header.
  static func sessionControl(_ s: PageSession) -> String {
    switch s.access {
    case .unknown:
      return ""
    case .readOnly:
      return
        "<span class=\"muted small\" title=\"set [dashboard] token in wick.toml or WICK_DASHBOARD_TOKEN\">read-only</span>"
    case .locked:
      return """
        <form class="login" method="post" action="/login">
        <input type="hidden" name="csrf" value="\(attr(s.csrf))">
        <input type="hidden" name="next" value="\(attr(s.path))">
        <input type="password" name="token" autocomplete="current-password" placeholder="Dashboard token" aria-label="Dashboard token" required>
        <button type="submit">Unlock</button>
        </form>
        """
    case .unlocked:
      return """
        <form class="login" method="post" action="/logout">
        <input type="hidden" name="csrf" value="\(attr(s.csrf))">
        <span class="muted small">controls unlocked</span> <button type="submit">Lock</button>
        </form>
        """
    }
  }

  /// A notice box (errors in red).
  static func notice(_ message: String, error: Bool = false) -> String {
    "<p class=\"notice\(error ? " err" : "")\" role=\"\(error ? "alert" : "status")\">\(text(message))</p>"
  }

  /// Key=value text of a JSON object, for params and decision details ("period=20 · fast=5").
  static func compactJSON(_ json: String, limit: Int = 200) -> String {
    guard let value = JSONValue.parse(json) else { return String(json.prefix(limit)) }
    let out: String
    if case .object(let fields) = value {
      out = fields.map { "\($0.key)=\($0.value.text)" }.joined(separator: " · ")
    } else {
      out = value.text
    }
    return out.count > limit ? String(out.prefix(limit)) + "…" : out
  }
}

/// What the page knows about the visitor's session, for the header and the controls.
struct PageSession: Sendable {
  enum Access: Sendable { case readOnly, locked, unlocked, unknown }
  var access: Access
  /// The session's CSRF token, put in every form.
  var csrf: String
  /// The page's own path (where login returns to).
  var path: String
}
