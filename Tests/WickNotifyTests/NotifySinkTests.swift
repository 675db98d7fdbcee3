import Foundation
import Testing
import WickCore
import WickData
import WickNotify
import WickRisk

@Suite struct NotifyConfigTests {
  func error(_ toml: String, environment: [String: String] = [:]) -> String {
    do {
      _ = try sinks(toml, environment: environment)
      return "no error"
    } catch { return "\(error)" }
  }

  @Test func badSinksAreErrorsNamingFileLineAndField() {
    let unknown = error("[notify]\ndaily_hour_utc = 8\n[notify.pager]\nurl = \"http://x\"\n")
    #expect(unknown.hasPrefix("wick.toml:3:") && unknown.contains("[notify.pager]: unknown sink"))
    let event = error("[notify.webhook]\nurl = \"http://x\"\nevents = [\"incident\", \"trade\"]\n")
    #expect(
      event.hasPrefix("wick.toml:3:") && event.contains("events")
        && event.contains("unknown event \"trade\""))
    let url = error("[notify.slack]\nevents = [\"halt\"]\n")
    #expect(url.hasPrefix("wick.toml:1:") && url.contains("[notify.slack]: url: missing"))
    let badURL = error(
      "[[notify.discord]]\nurl = \"https://d\"\n[[notify.discord]]\nurl = \"ftp://d\"\n")
    #expect(badURL.hasPrefix("wick.toml:4:") && badURL.contains("entry 2: url"))
    let token = error("[notify.telegram]\nchat_id = 1\n")
    #expect(
      token.hasPrefix("wick.toml:1:") && token.contains("WICK_TELEGRAM_TOKEN is not set"))
    let inFile = error("[notify.telegram]\nchat_id = 1\ntoken = \"123:abc\"\n")
    #expect(inFile.hasPrefix("wick.toml:3:") && inFile.contains("secret"))
    let hour = error("[notify]\ndaily_hour_utc = 24\n")
    #expect(hour.hasPrefix("wick.toml:2:") && hour.contains("daily_hour_utc"))
  }

  @Test func sinksDefaultToEveryEventAndKeysNameNoSecret() throws {
    let s = try sinks(
      """
      [notify]
      daily_hour_utc = 20
      [[notify.webhook]]
      url = "http://127.0.0.1:9/a"
      events = ["incident", "halt", "start"]
      [[notify.webhook]]
      url = "http://127.0.0.1:9/a"
      [notify.telegram]
      chat_id = "-100"
      [notify.discord]
      url = "https://discord.com/api/webhooks/1/SECRETPART"
      [notify.ntfy]
      url = "https://ntfy.sh/wick"
      [notify.slack]
      url = "https://hooks.slack.com/services/SECRET"
      """, environment: ["WICK_TELEGRAM_TOKEN": "123:TOKEN"])
    #expect(
      s.map(\.kind.rawValue) == ["webhook", "webhook", "telegram", "discord", "ntfy", "slack"])
    #expect(s[0].events == ["incident", "halt", "start"])
    #expect(s[1].events == Set(NotifyConfig.events))
    #expect(Set(s.map(\.key)).count == 6)
    for k in s.map(\.key) {
      #expect(!k.contains("SECRET") && !k.contains("TOKEN") && !k.contains("http"))
    }
  }

  @Test func aHaltGoesAsIncidentToASinkThatTakesNoHalts() {
    let routes = NotificationRoutes([
      .init(sink: "a", events: ["incident"]), .init(sink: "b", events: ["halt", "incident"]),
      .init(sink: "c", events: ["fill"]),
    ])
    let n = RunNotification(event: "halt", text: "x", fallback: "incident")
    let e = routes.entries(n, run: 1)
    #expect(e.map(\.sink) == ["a", "b"])
    #expect(e.map(\.event) == ["incident", "halt"])
  }
}
