import WickCore

/// `[notify]`: where a run's events go. One table per sink, an array of tables for several of a
/// kind; secrets (the Telegram bot token) come from the environment, never the file.
///
///     [notify]
///     daily_hour_utc = 20
///
///     [notify.webhook]
///     url = "http://127.0.0.1:9000/wick"
///     events = ["incident", "halt", "start"]
///
///     [[notify.telegram]]
///     chat_id = "-1001234567"            # token from WICK_TELEGRAM_TOKEN
public struct NotifyConfig: Sendable, Equatable {
  /// The events a sink can take (its `events` filter; all by default).
  public static let events = ["incident", "halt", "fill", "daily", "start"]
  public static let kinds = ["telegram", "discord", "slack", "ntfy", "webhook"]

  public var sinks: [NotifySinkConfig] = []
  /// UTC hour of the daily summary.
  public var dailyHourUTC = 0
  public init() {}
}

/// One sink as configured, with the lines errors found later (a missing token) point at.
public struct NotifySinkConfig: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable { case telegram, discord, slack, ntfy, webhook }
  public var kind: Kind
  /// The webhook or topic URL (not Telegram).
  public var url: String?
  /// Telegram: the chat, and the environment variable holding the bot token.
  public var chatID: String?
  public var tokenEnv = "WICK_TELEGRAM_TOKEN"
  /// Telegram: the Bot API's base URL (a local Bot API server, or a test's).
  public var apiURL = "https://api.telegram.org"
  public var events: Set<String> = Set(NotifyConfig.events)
  /// `[notify.telegram]` or `[[notify.webhook]] entry 2`: how errors name it.
  public var label: String
  public var line: Int
  public var path: String
  public init(kind: Kind, label: String, line: Int, path: String) {
    self.kind = kind
    self.label = label
    self.line = line
    self.path = path
  }
}

extension WickConfig {
  static func readNotify(_ r: inout SectionReader, path: String) throws -> NotifyConfig {
    var config = NotifyConfig()
    try r.read("daily_hour_utc", in: 0...23, into: &config.dailyHourUTC)
    for e in r.table.entries where e.key != "daily_hour_utc" {
      guard let kind = NotifySinkConfig.Kind(rawValue: e.key) else {
        throw WickError.invalidFile(
          path: path, line: e.line,
          reason:
            "[notify.\(e.key)]: unknown sink; expected one of "
            + NotifyConfig.kinds.map { "[notify.\($0)]" }.joined(separator: ", "))
      }
      _ = r.entry(e.key)
      switch e.value {
      case .table(let t):
        config.sinks.append(try readSink(t, kind: kind, label: "[notify.\(e.key)]", path: path))
      case .array(let items):
        for (i, item) in items.enumerated() {
          guard case .table(let t) = item else {
            throw r.fail(e, "expected [[notify.\(e.key)]] tables, got \(item.typeName)")
          }
          config.sinks.append(
            try readSink(t, kind: kind, label: "[[notify.\(e.key)]] entry \(i + 1)", path: path))
        }
      default:
        throw r.fail(e, "expected a table [notify.\(e.key)], got \(e.value.typeName)")
      }
    }
    return config
  }

  private static func readSink(
    _ t: TOMLTable, kind: NotifySinkConfig.Kind, label: String, path: String
  )
    throws -> NotifySinkConfig
  {
    var r = SectionReader(table: t, name: "notify.\(kind.rawValue)", path: path)
    r.label = label
    var sink = NotifySinkConfig(kind: kind, label: label, line: t.line, path: path)
    if let e = r.entry("events") {
      guard case .array(let items) = e.value else {
        throw r.fail(e, "expected a list such as [\"incident\", \"halt\"], got \(e.value.typeName)")
      }
      var events: Set<String> = []
      for item in items {
        guard case .string(let name) = item, NotifyConfig.events.contains(name) else {
          throw r.fail(
            e,
            "unknown event \(SectionReader.show(item)); expected "
              + NotifyConfig.events.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        events.insert(name)
      }
      guard !events.isEmpty else { throw r.fail(e, "an empty list sends nothing: remove the sink") }
      sink.events = events
    }
    func missing(_ key: String, _ example: String) -> WickError {
      .invalidFile(
        path: path, line: t.line, reason: "\(label): \(key): missing; expected \(key) = \(example)")
    }
    switch kind {
    case .telegram:
      if let e = t.entry("token") {
        throw r.fail(
          e, "the bot token is a secret: set it in the environment (WICK_TELEGRAM_TOKEN), not here")
      }
      guard let e = r.entry("chat_id") else { throw missing("chat_id", "\"-1001234567\"") }
      switch e.value {
      case .string(let s) where !s.isEmpty: sink.chatID = s
      case .integer(let i): sink.chatID = String(i)
      default: throw r.fail(e, "expected a chat id such as \"-1001234567\" or 123456")
      }
      if let env = try r.string("token_env") { sink.tokenEnv = env }
      if let api = try r.url("api_url", schemes: ["https://", "http://"]) { sink.apiURL = api }
    case .discord, .slack, .ntfy, .webhook:
      guard let url = try r.url("url", schemes: ["https://", "http://"]) else {
        throw missing("url", "\"https://...\"")
      }
      sink.url = url
    }
    try r.finish()
    return sink
  }
}
