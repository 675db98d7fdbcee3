import Foundation
import NIOHTTP1
import Testing

@testable import WickServer

/// Token, session, CSRF and the commands the controls queue.
@Suite struct ControlTests {
  static let token = "correct-horse-battery"

  func dashboard(_ f: LedgerFixture, token: String? = ControlTests.token) -> Dashboard {
    var settings = DashboardSettings(token: token)
    settings.failedLoginDelay = .zero
    return Dashboard(store: f.store, settings: settings)
  }

  /// Opens the run page and unlocks the controls; returns the unlocked page.
  func unlock(_ browser: Browser, run: Int64) async throws -> Browser.Page {
    let page = try await browser.get("/runs/\(run)")
    let csrf = try #require(Browser.csrf(page.body))
    let login = try await browser.post(
      "/login", [("csrf", csrf), ("next", "/runs/\(run)"), ("token", Self.token)], json: false)
    #expect(login.status == .seeOther)
    #expect(login.headers.first(name: "Location") == "/runs/\(run)")
    return try await browser.get("/runs/\(run)")
  }

  @Test func theTokenUnlocksTheControlsThroughARandomSessionCookie() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let locked = try await browser.get("/runs/\(f.paperRun)")
      #expect(locked.body.contains("type=\"password\" name=\"token\""))
      #expect(!locked.body.contains("Emergency stop"))
      let page = try await unlock(browser, run: f.paperRun)
      let cookie = try #require(browser.lastSetCookie)
      #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
      #expect(!cookie.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
      #expect(!cookie.contains(Self.token))
      #expect(
        page.body.contains(
          "<button type=\"button\" class=\"danger\" data-arm>Emergency stop</button>"))
      #expect(page.body.contains("<button type=\"submit\" class=\"danger\">Confirm</button>"))
      #expect(!page.body.contains(Self.token))
    }
  }

  @Test func loginReturnsOnlyToAPathOnThisServer() {
    #expect(Dashboard.safeNext("/runs/3") == "/runs/3")
    for hostile in ["https://evil.example/", "//evil.example", "/\\evil.example", "runs", nil] {
      #expect(Dashboard.safeNext(hostile) == "/runs")
    }
  }

  @Test func aWrongTokenIs401AndChangesNothing() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let page = try await browser.get("/runs/\(f.paperRun)")
      let csrf = try #require(Browser.csrf(page.body))
      let login = try await browser.post(
        "/login",
        [("csrf", csrf), ("next", "/runs/\(f.paperRun)"), ("token", "guess-guess-guess")],
        json: false)
      #expect(login.status == .unauthorized)
      #expect(login.body.contains("Wrong token"))
      // Still locked: a command is refused and nothing is queued.
      let stop = try await browser.post(
        "/runs/\(f.paperRun)/commands", [("csrf", csrf), ("kind", "emergency_stop")])
      #expect(stop.status == .unauthorized)
      #expect(try f.commands().isEmpty)
      // The token in a URL does nothing either: login is POST only.
      let viaURL = try await browser.get("/login?token=\(Self.token)")
      #expect(viaURL.status != .ok && viaURL.status != .seeOther)
    }
  }

  @Test func aCommandWithoutTheSessionsCSRFTokenIsRefused() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      _ = try await unlock(browser, run: f.paperRun)
      let forged = try await browser.post(
        "/runs/\(f.paperRun)/commands", [("csrf", "0123456789abcdef"), ("kind", "emergency_stop")])
      #expect(forged.status == .forbidden)
      #expect(forged.body.contains("CSRF"))
      let missing = try await browser.post("/runs/\(f.paperRun)/commands", [("kind", "pause")])
      #expect(missing.status == .forbidden)
      // Right token, but another site's page: refused by its Origin.
      let page = try await browser.get("/runs/\(f.paperRun)")
      let csrf = try #require(Browser.csrf(page.body))
      let crossSite = try await browser.post(
        "/runs/\(f.paperRun)/commands", [("csrf", csrf), ("kind", "pause")],
        headers: ["Origin": "http://evil.example"])
      #expect(crossSite.status == .forbidden)
      #expect(try f.commands().isEmpty)
    }
  }

  @Test func emergencyStopIsQueuedForTheRunnerAndShownWithItsOutcome() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let page = try await unlock(browser, run: f.paperRun)
      let csrf = try #require(Browser.csrf(page.body))
      let stop = try await browser.post(
        "/runs/\(f.paperRun)/commands", [("csrf", csrf), ("kind", "emergency_stop")])
      #expect(stop.status == .accepted)
      #expect(stop.body.contains("queued"))
      let queued = try #require(try f.commands().last)
      #expect(
        queued.kind == "emergency_stop" && queued.status == "pending"
          && queued.source == "dashboard")
      // The runner answers; the page shows the outcome.
      try f.execute(
        "UPDATE run_commands SET status = 'done', outcome = 'flattened 1 position, halted', handled_at = ? WHERE id = ?",
        [f.now, queued.id])
      let after = try await browser.get("/runs/\(f.paperRun)")
      #expect(after.body.contains("flattened 1 position, halted"))
    }
  }

  @Test func parameterValuesOutsideTheDeclaredRangeAreRejectedWithTheReason() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let page = try await unlock(browser, run: f.paperRun)
      #expect(page.body.contains("period (5 to 500 step 5, now 60)"))
      let csrf = try #require(Browser.csrf(page.body))
      func set(_ name: String, _ value: String) async throws -> Browser.Page {
        try await browser.post(
          "/runs/\(f.paperRun)/commands",
          [("csrf", csrf), ("kind", "set_param"), ("name", name), ("value", value)])
      }
      let cases: [(String, String, String)] = [
        ("period", "1000", "1000 is above the maximum 500"),
        ("period", "7", "7 is not on the grid 5 + k × 5"),
        ("period", "abc", "expected a number, got 'abc'"),
        ("allow_short", "maybe", "expected true or false"),
        ("nope", "1", "unknown param 'nope'"),
      ]
      for (name, value, reason) in cases {
        let r = try await set(name, value)
        #expect(r.status == .unprocessableEntity, "\(name)=\(value)")
        #expect(r.body.contains(reason), "\(name)=\(value): \(r.body)")
      }
      // Every refusal is recorded as rejected; none is pending for the runner.
      let rejected = try f.commands()
      #expect(rejected.count == cases.count)
      #expect(
        rejected.allSatisfy {
          $0.status == "rejected" && $0.outcome!.hasPrefix("rejected by the dashboard")
        })
      let ok = try await set("period", "20")
      #expect(ok.status == .accepted)
      let queued = try #require(try f.commands().last)
      #expect(queued.status == "pending" && queued.kind == "set_param")
      #expect(queued.payloadJSON == #"{"name":"period","value":20}"#)
    }
  }

  /// A killed account gets a reset button (CSRF like every control); the reset is queued with
  /// the user's reason, and one that cannot apply is rejected with why.
  @Test func aKilledAccountIsResetFromItsButtonWithAReason() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      var page = try await unlock(browser, run: f.paperRun)
      #expect(!page.body.contains("Reset account"))
      var csrf = try #require(Browser.csrf(page.body))
      func reset(_ account: String, _ reason: String, csrf: String) async throws -> Browser.Page {
        try await browser.post(
          "/runs/\(f.paperRun)/commands",
          [("csrf", csrf), ("kind", "reset_account"), ("account", account), ("reason", reason)])
      }
      let live = try await reset("main", "looks fine", csrf: csrf)
      #expect(live.status == .unprocessableEntity)
      #expect(live.body.contains("account 'main' is not killed"), "\(live.body)")
      // The runner's risk engine killed it.
      try f.execute(
        #"UPDATE runs SET state_json = '{"accounts":[{"account":"main","decay_factor":1,"daily_loss_used":0,"killed":true,"kill_reason":"drawdown 31% from peak 10400"}]}' WHERE id = ?"#,
        [f.paperRun])
      page = try await browser.get("/runs/\(f.paperRun)")
      #expect(page.body.contains("<button type=\"submit\">Reset account main</button>"))
      #expect(page.body.contains(#"<input type="hidden" name="account" value="main">"#))
      csrf = try #require(Browser.csrf(page.body))
      let forged = try await reset("main", "reviewed", csrf: "0123456789abcdef")
      #expect(forged.status == .forbidden)
      for (account, reason, why) in [
        ("main", "  ", "say why account 'main' may trade again"),
        ("other", "reviewed", "no account 'other' in run \(f.paperRun) (accounts: main)"),
      ] {
        let r = try await reset(account, reason, csrf: csrf)
        #expect(r.status == .unprocessableEntity, "\(account)")
        #expect(r.body.contains(why), "\(r.body)")
      }
      let ok = try await reset("main", "stop was too tight; reviewed", csrf: csrf)
      #expect(ok.status == .accepted, "\(ok.body)")
      let queued = try #require(try f.commands().last)
      #expect(queued.kind == "reset_account" && queued.status == "pending")
      #expect(queued.payloadJSON == #"{"account":"main","reason":"stop was too tight; reviewed"}"#)
      #expect(try f.commands().filter { $0.status == "rejected" }.count == 3)
    }
  }

  @Test func commandsGoOnlyToRunningOrPausedRuns() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let page = try await unlock(browser, run: f.paperRun)
      let csrf = try #require(Browser.csrf(page.body))
      let r = try await browser.post(
        "/runs/\(f.backtestRun)/commands", [("csrf", csrf), ("kind", "pause")])
      #expect(r.status == .unprocessableEntity)
      #expect(r.body.contains("run \(f.backtestRun) is finished"))
    }
  }

  @Test func withoutATokenTheDashboardIsReadOnly() async throws {
    let f = try LedgerFixture()
    try await dashboard(f, token: nil).onLoopback { client in
      let browser = Browser(client)
      let page = try await browser.get("/runs/\(f.paperRun)")
      #expect(!page.body.contains("Emergency stop") && !page.body.contains("type=\"password\""))
      #expect(browser.lastSetCookie == nil)
      let r = try await browser.post(
        "/runs/\(f.paperRun)/commands", [("csrf", ""), ("kind", "emergency_stop")])
      #expect(r.status == .forbidden)
      #expect(r.body.contains("read-only"))
      #expect(try f.commands().isEmpty)
    }
  }
}
