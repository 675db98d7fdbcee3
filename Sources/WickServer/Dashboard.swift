import Foundation
import Logging
import NIOCore
import NIOHTTP1
import WickCore
import WickNet
import WickReport

/// How the dashboard behaves; the defaults suit `wick serve`, tests shorten the timings.
public struct DashboardSettings: Sendable {
  /// The secret that unlocks the controls; nil: the dashboard is read-only.
  public var token: String?
  /// How often a live stream reads the ledger for new rows.
  public var pollInterval: Duration = .seconds(1)
  /// How long one live stream stays open before the browser reconnects.
  public var streamLifetime: Duration = .seconds(60)
  /// Pause after a wrong token, so guessing is slow.
  public var failedLoginDelay: Duration = .milliseconds(500)
  /// `GET /metrics` (Prometheus text; read-only, no token); `[dashboard] metrics = false` turns
  /// it off.
  public var metrics = true
  /// A connection that completes no request head for this long is closed (a half-sent request,
  /// slowloris; an idle keep-alive); a body that pauses this long gets 408; a live stream whose
  /// browser stops reading is cut off after it. A live stream being read is left alone.
  /// (`HTTPLimits.idleTimeout`.)
  public var idleTimeout: Duration = .seconds(30)
  /// A POST's whole form must arrive within this (408 otherwise).
  public var bodyTimeout: Duration = .seconds(10)

  public init(token: String?) { self.token = token }
}

/// `wick serve`: the runs, a run (with live updates and controls), sweeps and saved backtest
/// reports, over the ledger in one SQLite file.
///
///     let dashboard = Dashboard(store: try DashboardStore(path: db), settings: .init(token: token))
///     let server = try await dashboard.start(host: "127.0.0.1", port: 8080, logger: logger)
///     …
///     await server.stop()
public struct Dashboard: Sendable {
  let store: DashboardStore
  let settings: DashboardSettings
  let sessions = SessionStore()
  let throttle = LoginThrottle()
  let desk: CommandDesk
  /// Whether the session cookie is `Secure`: set by `start` when it serves HTTPS.
  var secureCookies = false

  public init(store: DashboardStore, settings: DashboardSettings) {
    self.store = store
    self.settings = settings
    desk = CommandDesk(store: store, catalog: ParamCatalog())
  }

  /// Starts serving; HTTPS when `tls` is given. The server's `port` is the bound one (port 0
  /// picks a free one); `stop()` shuts it down gracefully.
  public func start(host: String, port: Int, logger: Logger, tls: TLSContext? = nil) async throws
    -> HTTPServer
  {
    var dashboard = self
    dashboard.secureCookies = tls != nil
    let router = dashboard.router()
    return try await HTTPServer.start(
      host: host, port: port, tls: tls, limits: limits, logger: logger
    ) { request in await router.respond(to: request, logger: logger) }
  }

  /// The connection limits, with the settings' timeouts.
  var limits: HTTPLimits {
    var limits = HTTPLimits()
    limits.idleTimeout = settings.idleTimeout
    limits.bodyTimeout = settings.bodyTimeout
    limits.maxBodyBytes = Self.maxFormBytes
    return limits
  }

  /// The largest form a POST may carry (the parameter forms are far smaller).
  static let maxFormBytes = 64 * 1024

  public func router() -> Router {
    var router = Router()
    router.get("/") { _, _ in Response(status: .seeOther, headers: ["Location": "/runs"]) }
    router.get("/assets/dashboard.css") { _, _ in
      Self.asset(Assets.css + InteractiveChart.css, type: "text/css; charset=utf-8")
    }
    router.get("/assets/dashboard.js") { _, _ in
      Self.asset(Assets.js, type: "text/javascript; charset=utf-8")
    }
    // The interactive chart's scripts, served by Wick itself (no CDN; inline scripts are
    // refused by the pages' Content-Security-Policy).
    router.get("/assets/lightweight-charts.js") { _, _ in
      Self.asset(InteractiveChart.libraryScript, type: "text/javascript; charset=utf-8")
    }
    router.get("/assets/wick-chart.js") { _, _ in
      Self.asset(InteractiveChart.glueScript, type: "text/javascript; charset=utf-8")
    }
    if settings.metrics {
      router.get("/metrics") { _, _ in
        Response(
          status: .ok,
          headers: ["Content-Type": PrometheusText.contentType, "Cache-Control": "no-store"],
          text: PrometheusText.render(try store.metricsSnapshot()))
      }
    }
    router.get("/runs") { request, _ in
      try await page(request) { session in RunsPage.render(try store.runs(), session: session) }
    }
    router.get("/runs/:id") { request, parameters in
      guard let id = parameters.int64("id"), let detail = try store.run(id)
      else { return Self.notFound("run") }
      let cursor = try store.cursor(run: id)
      let chart = try store.runChart(id)
      return try await page(request) { session in
        RunPage.render(
          detail, session: session, params: paramChoices(detail), cursor: cursor, chart: chart)
      }
    }
    router.get("/runs/:id/events") { request, parameters in
      guard let id = parameters.int64("id"),
        try store.run(id, history: false) != nil
      else { return Self.notFound("run") }
      let resume =
        request.header("Last-Event-ID").flatMap(LiveCursor.init(text:))
        ?? request.query["after"].flatMap(LiveCursor.init(text:))
      let start = try resume ?? store.cursor(run: id)
      let session = await visitor(request)
      let stream = LiveStream(
        store: store, run: id, pollInterval: settings.pollInterval,
        lifetime: settings.streamLifetime,
        controls: { d in RunPage.controls(d, session: session, params: paramChoices(d)) })
      return Response(
        status: .ok,
        headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-store"],
        body: stream.body(from: start))
    }
    router.get("/runs/:id/report") { _, parameters in
      guard let id = parameters.int64("id"),
        let html = try store.backtestReport(id)
      else { return Self.notFound("saved backtest") }
      return Self.html(html)
    }
    router.get("/sweeps") { request, _ in
      try await page(request) { session in SweepsPage.list(try store.sweeps(), session: session) }
    }
    router.get("/sweeps/:id") { request, parameters in
      guard let id = parameters.int64("id"),
        let (sweep, rows) = try store.sweep(id)
      else { return Self.notFound("sweep") }
      let query = request.query
      let sort = query["sort"] ?? "objective"
      let descending = query["dir"] != "asc"
      return try await page(request) { session in
        SweepsPage.detail(sweep, rows, sort: sort, descending: descending, session: session)
      }
    }
    router.post("/login") { request, _ in try await login(request) }
    router.post("/logout") { request, _ in try await logout(request) }
    router.post("/runs/:id/commands") { request, parameters in
      guard let id = parameters.int64("id") else {
        return Self.notFound("run")
      }
      return try await command(request, run: id)
    }
    return router
  }

  // MARK: - Pages and sessions

  /// Renders a page for the visitor's session, starting one (for the login form's CSRF token)
  /// when controls exist and the visitor has none.
  private func page(_ request: Request, _ render: (PageSession) throws -> String) async throws
    -> Response
  {
    guard settings.token != nil else {
      return Self.html(
        try render(PageSession(access: .readOnly, csrf: "", path: request.path)))
    }
    let cookie = request.cookie(SessionStore.cookieName)
    if let s = await sessions.session(cookie) {
      return Self.html(
        try render(
          PageSession(
            access: s.unlocked ? .unlocked : .locked, csrf: s.csrf, path: request.path)))
    }
    let (id, s) = await sessions.create()
    var response = Self.html(
      try render(PageSession(access: .locked, csrf: s.csrf, path: request.path)))
    response.setCookie(sessionCookie(id))
    return response
  }

  /// The visitor's session as it is, without starting one (for the live stream's controls).
  private func visitor(_ request: Request) async -> PageSession {
    guard settings.token != nil else {
      return PageSession(access: .readOnly, csrf: "", path: request.path)
    }
    let s = await sessions.session(request.cookie(SessionStore.cookieName))
    return PageSession(
      access: s?.unlocked == true ? .unlocked : .locked, csrf: s?.csrf ?? "", path: request.path
    )
  }

  func paramChoices(_ d: RunDetail) -> ParamChoices {
    do {
      let specs = try desk.catalog.specs(
        scriptPath: d.scriptPath, symbols: d.summary.symbols.split(separator: ",").map(String.init))
      var current: [String: String] = [:]
      if case .object(let fields) = JSONValue.parse(d.scriptVersion?.paramsJSON ?? d.paramsJSON)
        ?? .null
      {
        for (k, v) in fields { current[k] = v.text }
      }
      return .specs(specs, current: current)
    } catch {
      return .unavailable((error as? WickError)?.description ?? "\(error)")
    }
  }

  /// The session cookie; `Secure` when served over HTTPS, so a browser never sends it back over
  /// plain HTTP (to a look-alike on the same host and another port, say).
  func sessionCookie(_ id: String, expire: Bool = false) -> Cookie {
    Cookie(
      name: SessionStore.cookieName, value: expire ? "" : id, maxAge: expire ? 0 : nil, path: "/",
      httpOnly: true, secure: secureCookies, sameSite: .strict)
  }

  // MARK: - POSTs: login, logout, commands

  /// Why a POST is refused before it is looked at: read-only, cross-site, or a CSRF token that
  /// is not the session's. Returns the session id and session when it passes.
  private func checkPost(_ request: Request, form: [String: String]) async -> (
    Result<(id: String, session: SessionStore.Session), Refusal>
  ) {
    guard settings.token != nil else {
      return .failure(
        Refusal(
          status: .forbidden,
          message:
            "The dashboard is read-only: set [dashboard] token in wick.toml or WICK_DASHBOARD_TOKEN."
        ))
    }
    if request.header("Sec-Fetch-Site") == "cross-site"
      || !Self.sameOrigin(request)
    {
      return .failure(Refusal(status: .forbidden, message: "Cross-site request refused."))
    }
    let cookie = request.cookie(SessionStore.cookieName)
    guard let id = cookie, let s = await sessions.session(id),
      constantTimeEquals(form["csrf"] ?? "", s.csrf)
    else {
      return .failure(
        Refusal(status: .forbidden, message: "CSRF check failed: reload the page and try again."))
    }
    return .success((id, s))
  }

  struct Refusal: Error {
    var status: HTTPResponseStatus
    var message: String
  }

  /// An Origin header, when the browser sends one, must name this server.
  static func sameOrigin(_ request: Request) -> Bool {
    guard let origin = request.header("Origin") else { return true }
    guard let host = request.authority else { return false }
    return origin == "http://\(host)" || origin == "https://\(host)"
  }

  private func login(_ request: Request) async throws -> Response {
    let client = request.client
    let form = Self.form(request)
    let next = Self.safeNext(form["next"])
    switch await checkPost(request, form: form) {
    case .failure(let r):
      return Self.messagePage(r.message, status: r.status, back: next)
    case .success(let (id, _)):
      if let wait = await throttle.wait(client) {
        return Self.throttled(wait, back: next)
      }
      guard let token = settings.token, constantTimeEquals(form["token"] ?? "", token) else {
        let lockout = await throttle.failed(client)
        try await Task.sleep(for: settings.failedLoginDelay)
        if let lockout { return Self.throttled(lockout, back: next) }
        return Self.messagePage(
          "Wrong token: the controls stay locked and nothing was changed.", status: .unauthorized,
          back: next)
      }
      await throttle.succeeded(client)
      let (newID, _) = await sessions.unlock(replacing: id)
      var response = Response(status: .seeOther, headers: ["Location": next])
      response.setCookie(sessionCookie(newID))
      return response
    }
  }

  private func logout(_ request: Request) async throws -> Response {
    let form = Self.form(request)
    switch await checkPost(request, form: form) {
    case .failure(let r): return Self.messagePage(r.message, status: r.status, back: "/runs")
    case .success(let (id, _)):
      await sessions.end(id)
      var response = Response(status: .seeOther, headers: ["Location": "/runs"])
      response.setCookie(sessionCookie("", expire: true))
      return response
    }
  }

  private func command(_ request: Request, run: Int64) async throws -> Response {
    let form = Self.form(request)
    let wantsJSON = request.header("Accept")?.contains("application/json") ?? false
    func reply(_ status: HTTPResponseStatus, _ message: String, id: Int64? = nil) throws
      -> Response
    {
      guard wantsJSON else {
        return Self.messagePage(message, status: status, back: "/runs/\(run)")
      }
      var fields: [(key: String, value: JSONValue)] = [
        ("ok", .bool(status.code < 400)), ("message", .string(message)),
      ]
      if let id { fields.append(("id", .number(Double(id)))) }
      if status != .unauthorized, status != .forbidden, let d = try store.run(run, history: false) {
        fields.append(("commands", .string(RunPage.commands(d))))
      }
      return Response(
        status: status, headers: ["Content-Type": "application/json; charset=utf-8"],
        text: JSONValue.object(fields).json)
    }
    switch await checkPost(request, form: form) {
    case .failure(let r): return try reply(r.status, r.message)
    case .success(let (_, session)):
      guard session.unlocked else {
        return try reply(.unauthorized, "Enter the dashboard token first: nothing was sent.")
      }
      switch try desk.submit(
        run: run, kind: form["kind"] ?? "", name: form["name"], value: form["value"],
        account: form["account"], reason: form["reason"])
      {
      case .queued(let id):
        return try reply(
          .accepted,
          "Command \(id) (\(form["kind"] ?? "")) queued: the runner picks it up within 2 seconds.",
          id: id)
      case .rejected(let id, let reason):
        return try reply(
          id == nil ? .notFound : .unprocessableEntity, "Rejected: \(reason)", id: id)
      }
    }
  }

  // MARK: - Responses and forms

  /// `next` after login: a path on this server only (never another site).
  static func safeNext(_ next: String?) -> String {
    guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else {
      return "/runs"
    }
    return next
  }

  /// The urlencoded form of a POST (its size and arrival time already held to the connection's
  /// limits: `maxFormBytes`, `settings.bodyTimeout`).
  static func form(_ request: Request) -> [String: String] {
    parseForm(String(buffer: request.body))
  }

  static func parseForm(_ text: String) -> [String: String] { FormDecoding.pairs(text) }

  static func html(_ text: String, status: HTTPResponseStatus = .ok) -> Response {
    Response(
      status: status,
      headers: [
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
        "Content-Security-Policy":
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
      ],
      text: text)
  }

  static func asset(_ text: String, type: String) -> Response {
    Response(
      status: .ok, headers: ["Content-Type": type, "Cache-Control": "max-age=300"], text: text)
  }

  static func messagePage(_ message: String, status: HTTPResponseStatus, back: String) -> Response {
    html(
      HTML.page(
        title: message,
        body: HTML.notice(message, error: status.code >= 400)
          + "<p><a href=\"\(HTML.attr(back))\">Back</a></p>",
        session: PageSession(access: .unknown, csrf: "", path: back)),
      status: status)
  }

  /// Too many wrong tokens from this client: it waits before the next one is looked at.
  static func throttled(_ seconds: TimeInterval, back: String) -> Response {
    let wait = Int(seconds.rounded(.up))
    var response = messagePage(
      "Too many wrong tokens from your address: try again in \(wait) s (nothing was checked or changed).",
      status: .tooManyRequests, back: back)
    response.headers.replaceOrAdd(name: "Retry-After", value: String(wait))
    return response
  }

  static func notFound(_ what: String) -> Response {
    messagePage("No such \(what).", status: .notFound, back: "/runs")
  }
}
