import Foundation
import Testing
import WickCore
import WickTesting

/// `wick doctor` against the loopback exchanges: one line per check, ✓ or ✗ with the fix, exit
/// status 1 when any check failed, keys from the environment and never printed.
@Suite struct DoctorCommandTests {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-doctor-\(UUID().uuidString)")

  var wick: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("wick")
  }

  /// Runs `wick doctor …` to its end; returns its exit status and output lines.
  func doctor(_ arguments: [String], env extra: [String: String]) throws -> (Int32, [String]) {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let p = Process()
    p.executableURL = wick
    p.arguments = ["doctor"] + arguments
    var env = ProcessInfo.processInfo.environment
    for k in [
      "WICK_BINANCE_API_KEY", "WICK_BINANCE_API_SECRET", "WICK_BYBIT_API_KEY",
      "WICK_BYBIT_API_SECRET",
    ] {
      env[k] = nil
    }
    env.merge(extra) { $1 }
    p.environment = env
    let out = dir.appendingPathComponent("out-\(UUID().uuidString).log")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: out)
    p.standardError = p.standardOutput
    try p.runWithDeadline(120)
    p.waitUntilExit()
    let text = try String(contentsOf: out, encoding: .utf8)
    return (p.terminationStatus, text.split(separator: "\n").map(String.init))
  }

  func config(_ text: String) throws -> String {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("wick.toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  func binanceKeys(_ m: MockBinanceTrading) -> [String: String] {
    ["WICK_BINANCE_API_KEY": m.apiKey, "WICK_BINANCE_API_SECRET": m.apiSecret]
  }

  @Test func aReadyBinanceAccountPassesEveryCheck() throws {
    let mock = try MockBinanceTrading()
    mock.clockSkewMs = 4_000
    let (status, lines) = try doctor(
      [
        "--exchange", "binance", "--base-url", mock.baseURL, "--ws-url", mock.wsURL,
        "--config", try config("[risk]\nrisk_per_trade = 0.01\ndefault_leverage = 3.0\n"),
        "--symbol", "BTCUSDT",
      ], env: binanceKeys(mock))
    #expect(status == 0, "\(lines)")
    #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("✓") }, "\(lines)")
    for expected in [
      "✓ clock: REST", "✓ websocket:", "✓ keys: valid",
      "✓ key permissions: futures trading enabled, withdrawals disabled",
      "✓ account mode: single-asset mode", "✓ position mode: one-way", "✓ margin BTCUSDT:",
      "✓ sizing BTCUSDT: risking 10.00 USDT with a 1% stop orders 1000.00 USDT",
    ] {
      #expect(lines.contains { $0.hasPrefix(expected) }, "\(expected) in \(lines)")
    }
    #expect(lines.contains { $0.contains("clock offset +") }, "\(lines)")
    // Nothing on the account changed.
    #expect(mock.marginType("BTCUSDT") == "CROSSED" && mock.leverage("BTCUSDT") == nil)
    #expect(!lines.joined().contains(mock.apiSecret) && !lines.joined().contains(mock.apiKey))
  }

  @Test func aRiskyBinanceAccountIsNamedWithEachFix() throws {
    let mock = try MockBinanceTrading()
    mock.hedgeMode = true
    mock.multiAssetsMode = true
    mock.withdrawalsEnabled = true
    mock.walletBalance = 50  // seed 004: 0.50 USDT risk against a 100 USDT minimum notional
    let (status, lines) = try doctor(
      [
        "--exchange", "binance", "--base-url", mock.baseURL, "--ws-url", mock.wsURL,
        "--config", try config("[risk]\nrisk_per_trade = 0.01\ndefault_leverage = 3.0\n"),
      ], env: binanceKeys(mock))
    #expect(status == 1)
    let text = lines.joined(separator: "\n")
    #expect(
      text.contains(
        "✗ position mode: hedge mode; Wick trades one-way mode — fix: switch to One-way Mode"))
    #expect(text.contains("✗ account mode: multi-assets mode"))
    #expect(text.contains("⚠ WARNING key permissions: WITHDRAWALS ARE ENABLED"))
    #expect(
      text.contains(
        "✗ sizing BTCUSDT: risking 0.50 USDT (risk_per_trade 0.01 of 50.00 USDT) with a 1% stop orders at most 50.00 USDT, below the exchange's minimum order of 100.00 USDT"
      ), "\(text)")
    #expect(
      text.contains(
        "fix: equity of at least 100.00 USDT, or risk_per_trade of at least 0.0200 (1.00 USDT a trade)"
      ), "\(text)")
  }

  @Test func missingKeysFailWithTheVariablesToSet() throws {
    let mock = try MockBinanceTrading()
    let (status, lines) = try doctor(
      ["--exchange", "binance", "--base-url", mock.baseURL, "--ws-url", mock.wsURL], env: [:])
    #expect(status == 1)
    #expect(lines.contains { $0.hasPrefix("✓ clock:") })
    #expect(
      lines.contains {
        $0.hasPrefix("✗ keys:")
          && $0.contains("export WICK_BINANCE_API_KEY and WICK_BINANCE_API_SECRET")
      }, "\(lines)")
  }

  @Test func anUnreachableExchangeIsOneFailedLine() throws {
    let mock = try MockBinanceTrading()
    let url = mock.baseURL
    mock.stop()
    let (status, lines) = try doctor(["--exchange", "binance", "--base-url", url], env: [:])
    #expect(status == 1)
    #expect(lines.last?.hasPrefix("✗ rest: \(url) not reachable") == true, "\(lines)")
  }

  @Test func anUnknownExchangeIsRefused() throws {
    let (status, lines) = try doctor(["--exchange", "okx"], env: [:])
    #expect(status != 0)
    #expect(lines.joined().contains("--exchange okx: expected"), "\(lines)")
  }
}
