import Foundation
import WickCore
import WickData
import WickRisk

/// One configured destination, ready to send: it turns an outbox row into the HTTP request its
/// service expects and reads the service's answer. The secret it needs (the Telegram token, a
/// webhook URL that embeds one) stays in memory: errors are redacted before anyone sees them.
public struct NotifySink: Sendable {
  public let config: NotifySinkConfig
  /// The outbox's name for this sink: kind and a hash of its target, never the target itself.
  public let key: String
  let token: String?

  public var kind: NotifySinkConfig.Kind { config.kind }
  public var label: String { config.label }
  public var events: Set<String> { config.events }

  init(config: NotifySinkConfig, key: String, token: String?) {
    self.config = config
    self.key = key
    self.token = token
  }

  /// The sinks of `[notify]`, each with its secret from `environment`. A missing token is an
  /// error naming the file, the sink's line and the variable.
  public static func resolve(_ notify: NotifyConfig, environment: [String: String]) throws
    -> [NotifySink]
  {
    var seen: [String: Int] = [:]
    return try notify.sinks.map { c in
      var token: String?
      if c.kind == .telegram {
        guard let t = environment[c.tokenEnv], !t.isEmpty else {
          throw WickError.invalidFile(
            path: c.path, line: c.line,
            reason:
              "\(c.label) token: \(c.tokenEnv) is not set in the environment (the bot token never goes in the file)"
          )
        }
        token = t
      }
      let target = c.kind == .telegram ? "\(c.apiURL)|\(c.chatID ?? "")" : (c.url ?? "")
      var key = "\(c.kind.rawValue):\(fnv(target))"
      seen[key, default: 0] += 1
      if let n = seen[key], n > 1 { key += "#\(n)" }
      return NotifySink(config: c, key: key, token: token)
    }
  }

  /// What the outbox routes to these sinks.
  public static func routes(_ sinks: [NotifySink]) -> NotificationRoutes {
    NotificationRoutes(sinks.map { .init(sink: $0.key, events: $0.events) })
  }

  static func fnv(_ text: String) -> String { String(FNV1a.hex(text).prefix(12)) }

  // MARK: Requests

  /// The request that delivers `entry` through this sink.
  public func request(_ entry: RunLedger.OutboxEntry) -> HTTPRequest {
    let json = ("Content-Type", "application/json")
    switch kind {
    case .telegram:
      let body = object([
        ("chat_id", JSONText.quoted(config.chatID ?? "")),
        ("text", JSONText.quoted(String(entry.text.prefix(4096)))),
        ("disable_web_page_preview", "true"),
      ])
      return HTTPRequest(
        method: "POST", url: "\(config.apiURL)/bot\(token ?? "")/sendMessage", headers: [json],
        body: Array(body.utf8))
    case .discord:
      let body = object([("content", JSONText.quoted(String(entry.text.prefix(2000))))])
      return HTTPRequest(
        method: "POST", url: config.url ?? "", headers: [json], body: Array(body.utf8))
    case .slack:
      let body = object([("text", JSONText.quoted(entry.text))])
      return HTTPRequest(
        method: "POST", url: config.url ?? "", headers: [json], body: Array(body.utf8))
    case .ntfy:
      let priority = entry.event == "halt" ? "5" : entry.event == "incident" ? "4" : "3"
      return HTTPRequest(
        method: "POST", url: config.url ?? "",
        headers: [
          ("Title", "Wick: \(entry.event)\(entry.run.map { " (run \($0))" } ?? "")"),
          ("Priority", priority), ("Tags", entry.event),
        ],
        body: Array(entry.text.utf8))
    case .webhook:
      return HTTPRequest(
        method: "POST", url: config.url ?? "", headers: [json],
        body: Array(Self.webhookBody(entry).utf8))
    }
  }

  /// The generic webhook's JSON: `event`, `run`, `time` (ISO-8601 UTC), `text`, the outbox `id`
  /// (a receiver can drop a repeat by it), then the event's own fields.
  public static func webhookBody(_ e: RunLedger.OutboxEntry) -> String {
    var out =
      "{\"id\":\(e.id),\"event\":\(JSONText.quoted(e.event)),\"run\":\(e.run.map(String.init) ?? "null"),"
      + "\"time\":\(JSONText.quoted(UTCTime.iso(e.time))),\"text\":\(JSONText.quoted(e.text))"
    let fields = e.fieldsJSON.trimmingCharacters(in: .whitespaces)
    if fields.hasPrefix("{"), fields.count > 2 {
      out += "," + fields.dropFirst()
    } else {
      out += "}"
    }
    return out
  }

  private func object(_ fields: [(String, String)]) -> String {
    "{" + fields.map { JSONText.quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
  }

  // MARK: Answers

  /// What an attempt came to.
  public enum Outcome: Sendable, Equatable {
    case delivered
    /// Try again; `after` seconds when the service said how long to wait (429 retry_after).
    case retry(reason: String, after: Double?)
    /// The service refused for good (a wrong chat, a deleted webhook): retrying cannot help.
    case failed(String)
  }

  public func outcome(_ r: HTTPResponse) -> Outcome {
    let object = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any]
    let description =
      (object?["description"] as? String) ?? (object?["message"] as? String)
      ?? (object?["error"] as? String)
      ?? String(decoding: r.body.prefix(200), as: UTF8.self)
    if r.status == 429 {
      // Telegram: parameters.retry_after; Discord: retry_after (seconds, fractional); Slack and
      // ntfy: the Retry-After header.
      let params = object?["parameters"] as? [String: Any]
      let after =
        (params?["retry_after"] as? NSNumber)?.doubleValue
        ?? (object?["retry_after"] as? NSNumber)?.doubleValue
        ?? r.headers["retry-after"].flatMap(Double.init)
      return .retry(reason: redact("HTTP 429: \(description)"), after: after)
    }
    if (200..<300).contains(r.status) {
      if kind == .telegram, object?["ok"] as? Bool != true {
        return .failed(redact("Telegram answered without ok: \(description)"))
      }
      return .delivered
    }
    let reason = redact("HTTP \(r.status): \(description.isEmpty ? "no body" : description)")
    if r.status >= 500 || r.status == 408 { return .retry(reason: reason, after: nil) }
    return .failed(reason)
  }

  /// `text` with the token and the URL (which may embed a secret) taken out.
  public func redact(_ text: String) -> String {
    var out = text
    if let token, !token.isEmpty { out = out.replacingOccurrences(of: token, with: "<token>") }
    if let url = config.url, !url.isEmpty { out = out.replacingOccurrences(of: url, with: "<url>") }
    return out
  }

  /// Sends `entry` and reads the answer; a transport failure is retried.
  public func deliver(_ entry: RunLedger.OutboxEntry, over transport: HTTPTransport) -> Outcome {
    do {
      return outcome(try transport.send(request(entry)))
    } catch {
      return .retry(reason: redact("\(error)"), after: nil)
    }
  }
}
