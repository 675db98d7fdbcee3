import Foundation
import WickCore
import WickNet
import WickRisk

/// One line of `wick doctor`: a check, what it found, and the fix when it failed.
public struct DoctorCheck: Sendable, Equatable {
  public enum Status: Sendable, Equatable {
    case ok
    /// Works, but a human must know (a key that may withdraw).
    case warning
    case failed
  }
  public var status: Status
  public var name: String
  public var detail: String
  public var fix: String?

  public init(_ status: Status, _ name: String, _ detail: String, fix: String? = nil) {
    self.status = status
    self.name = name
    self.detail = detail
    self.fix = fix
  }

  public var line: String {
    let mark: String
    switch status {
    case .ok: mark = "✓"
    case .warning: mark = "⚠ WARNING"
    case .failed: mark = "✗"
    }
    return "\(mark) \(name): \(detail)" + (fix.map { " — fix: \($0)" } ?? "")
  }
}

/// What `wick doctor` was asked to look at.
public struct DoctorRequest: Sendable {
  public var mainnet: Bool
  public var baseURL: String?
  public var wsURL: String?
  public var symbols: [String]
  public var timeframe: Timeframe
  /// The config's risk settings (defaults without `--config`).
  public var risk: RiskConfig
  /// nil: the keys are not in the environment (the key checks fail, the rest still run).
  public var credentials: LiveCredentials?
  public var credentialsProblem: String?

  public init(
    mainnet: Bool, baseURL: String?, wsURL: String?, symbols: [String], timeframe: Timeframe,
    risk: RiskConfig, credentials: LiveCredentials?, credentialsProblem: String?
  ) {
    self.mainnet = mainnet
    self.baseURL = baseURL
    self.wsURL = wsURL
    self.symbols = symbols
    self.timeframe = timeframe
    self.risk = risk
    self.credentials = credentials
    self.credentialsProblem = credentialsProblem
  }
}

/// What an exchange adapter gives `Doctor.run`: how to reach its REST API and clock, its kline
/// WebSocket, its wallet (which proves the keys), its own account checks and its instrument rules.
public struct DoctorAdapter {
  public var exchange: String
  public var restURL: String
  /// Measures the clock; returns the exchange's time minus ours, in milliseconds.
  public var syncClock: () throws -> Int64
  public var webSocketURL: String?
  /// Where keys for this network come from, for the missing-keys fix ("testnet.bybit.com").
  public var keySource: String
  /// The wallet: (wallet balance, equity) in USDT, and what to call it in the line.
  public var wallet: () throws -> (balance: Double, equity: Double)
  public var walletName: String
  /// The fix when the wallet call refuses the keys.
  public var refusedFix: String
  /// The exchange's own checks (permissions, account and position modes), run with valid keys.
  public var accountChecks: () -> [DoctorCheck]
  /// A symbol's instrument rules and price, for the sizing check.
  public var market: (String) throws -> (rules: InstrumentSpec, price: Double)

  public init(
    exchange: String, restURL: String, syncClock: @escaping () throws -> Int64,
    webSocketURL: String?, keySource: String,
    wallet: @escaping () throws -> (balance: Double, equity: Double), walletName: String,
    refusedFix: String, accountChecks: @escaping () -> [DoctorCheck],
    market: @escaping (String) throws -> (rules: InstrumentSpec, price: Double)
  ) {
    self.exchange = exchange
    self.restURL = restURL
    self.syncClock = syncClock
    self.webSocketURL = webSocketURL
    self.keySource = keySource
    self.wallet = wallet
    self.walletName = walletName
    self.refusedFix = refusedFix
    self.accountChecks = accountChecks
    self.market = market
  }
}

/// The checks every exchange's doctor shares, written once; each adapter runs its own
/// exchange-specific ones (keys, permissions, account and position modes) around them.
public enum Doctor {
  /// Every check in order: REST and clock (nothing else runs without them), the WebSocket, the
  /// keys through the wallet, the adapter's account checks, and sizing for each symbol (which
  /// names the smallest order even without keys).
  public static func run(_ request: DoctorRequest, _ adapter: DoctorAdapter) -> [DoctorCheck] {
    var out: [DoctorCheck] = []
    do {
      out.append(clock(offsetMs: try adapter.syncClock(), rest: adapter.restURL))
    } catch {
      out.append(
        DoctorCheck(
          .failed, "rest", "\(adapter.restURL) not reachable: \(error)",
          fix: "check the network, or --base-url"))
      return out
    }
    if let url = adapter.webSocketURL { out.append(webSocket(url: url)) }
    var equity: Double?
    if request.credentials == nil {
      out.append(
        DoctorCheck(
          .failed, "keys", request.credentialsProblem ?? "no API keys",
          fix:
            "export \(LiveCredentials.keyVariable(adapter.exchange)) and \(LiveCredentials.secretVariable(adapter.exchange)) (a \(adapter.keySource) key)"
        ))
    } else {
      do {
        let wallet = try adapter.wallet()
        equity = wallet.equity
        out.append(
          DoctorCheck(
            .ok, "keys",
            String(
              format: "valid; %@ %.2f USDT, equity %.2f USDT", adapter.walletName, wallet.balance,
              wallet.equity)))
        out += adapter.accountChecks()
      } catch {
        out.append(DoctorCheck(.failed, "keys", "refused: \(error)", fix: adapter.refusedFix))
      }
    }
    for symbol in request.symbols {
      out.append(
        check("sizing \(symbol)") {
          let (rules, price) = try adapter.market(symbol)
          guard let equity else {
            return DoctorCheck(
              .failed, "sizing \(symbol)",
              "needs the wallet's equity (see keys); the smallest order is \(String(format: "%.2f", rules.minimumOrderValue(at: price))) USDT"
            )
          }
          return sizing(
            symbol: symbol, rules: rules, price: price, equity: equity, risk: request.risk)
        })
    }
    return out
  }

  /// A check whose exchange call failed is a failed check naming the call.
  public static func check(_ name: String, _ body: () throws -> DoctorCheck) -> DoctorCheck {
    do { return try body() } catch { return DoctorCheck(.failed, name, "\(error)") }
  }

  /// Requests are signed on the exchange's clock, so an offset is harmless up to the point
  /// where candle times and the machine's logs stop making sense.
  public static func clock(offsetMs: Int64, rest: String) -> DoctorCheck {
    let text = "REST \(rest) reachable; clock offset \(offsetMs >= 0 ? "+" : "")\(offsetMs) ms"
    guard abs(offsetMs) <= 30_000 else {
      return DoctorCheck(
        .failed, "clock", text + " (requests are signed on the exchange's clock, but logs are not)",
        fix: "synchronise this machine's clock (timedatectl set-ntp true)")
    }
    return DoctorCheck(.ok, "clock", text)
  }

  /// Opens the WebSocket at `url` and closes it again.
  public static func webSocket(url: String, timeout: TimeInterval = 5) -> DoctorCheck {
    let outcome = ProbeOutcome()
    let done = DispatchSemaphore(value: 0)
    let task = Task {
      do {
        try await WebSocketClient.connect(url: url) { _, outbound in
          outcome.set(nil)
          try await outbound.close()
        }
        outcome.setIfUnset("closed before the handshake")
      } catch {
        outcome.setIfUnset("\(error)")
      }
      done.signal()
    }
    if done.wait(timeout: .now() + timeout) == .timedOut {
      task.cancel()
      outcome.setIfUnset("no answer in \(Int(timeout)) s")
    }
    if let problem = outcome.value ?? nil {
      return DoctorCheck(
        .failed, "websocket", "\(url) not reachable: \(problem)",
        fix: "check the network (a proxy or firewall blocking wss), or --ws-url")
    }
    return DoctorCheck(.ok, "websocket", "\(url) reachable")
  }

  /// Whether the config's sizing can ever meet the exchange's smallest order on `symbol`.
  /// Size = min(risk budget / stop distance, equity × leverage) in quote currency; the stop
  /// distance is `min_stop_distance_pct` when set, else 1 % (a typical stop), named in the line.
  public static func sizing(
    symbol: String, rules: InstrumentSpec, price: Double, equity: Double, risk: RiskConfig
  ) -> DoctorCheck {
    let f = { (x: Double) in String(format: "%.2f", x) }
    let minimum = rules.minimumOrderValue(at: price)
    let distance = risk.minStopDistancePct > 0 ? risk.minStopDistancePct : 0.01
    let leverage = risk.leverage
    let budget = equity * risk.riskPerTrade
    let largest = min(budget / distance, equity * leverage)
    let stopText = String(format: "%g%%", distance * 100)
    let name = "sizing \(symbol)"
    if largest >= minimum {
      return DoctorCheck(
        .ok, name,
        "risking \(f(budget)) USDT with a \(stopText) stop orders \(f(largest)) USDT, at least the minimum order of \(f(minimum)) USDT"
      )
    }
    // The smallest equity that trades: the risk budget must buy the minimum at this stop, and
    // the leverage cap must allow it.
    let equityNeeded = max(minimum * distance / risk.riskPerTrade, minimum / leverage)
    let riskNeeded = minimum * distance / max(equity, 1e-9)
    var fix = "equity of at least \(f(equityNeeded)) USDT"
    if equity * leverage >= minimum {
      fix +=
        ", or risk_per_trade of at least \(String(format: "%.4f", riskNeeded)) (\(f(minimum * distance)) USDT a trade)"
    }
    return DoctorCheck(
      .failed, name,
      "risking \(f(budget)) USDT (risk_per_trade \(risk.riskPerTrade) of \(f(equity)) USDT) with a \(stopText) stop orders at most \(f(largest)) USDT, below the exchange's minimum order of \(f(minimum)) USDT (min_qty \(rules.minQty) at \(f(price)), min_notional \(f(rules.minNotional))): no trade can ever be placed",
      fix: fix)
  }

  /// The lines and whether any check failed (the exit status).
  public static func render(_ checks: [DoctorCheck]) -> (lines: [String], failed: Bool) {
    (checks.map(\.line), checks.contains { $0.status == .failed })
  }
}

/// The probe's result, set once from the connection's task.
private final class ProbeOutcome: @unchecked Sendable {
  private let lock = NSLock()
  private var _value: String??
  var value: String?? { lock.withLock { _value } }
  func set(_ v: String?) { lock.withLock { _value = .some(v) } }
  func setIfUnset(_ v: String?) { lock.withLock { if _value == nil { _value = .some(v) } } }
}
