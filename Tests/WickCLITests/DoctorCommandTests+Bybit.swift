import Foundation
import Testing
import WickCore
import WickTesting

/// `wick doctor --exchange bybit` against the loopback Bybit (its key, account-info and tickers
/// endpoints written from Bybit's v5 documentation).
extension DoctorCommandTests {
  func bybitKeys(_ m: MockBybitTrading) -> [String: String] {
    ["WICK_BYBIT_API_KEY": m.apiKey, "WICK_BYBIT_API_SECRET": m.apiSecret]
  }

  func bybitDoctor(_ mock: MockBybitTrading, risk: String, keys: Bool = true) throws -> (
    Int32, [String]
  ) {
    try doctor(
      [
        "--exchange", "bybit", "--base-url", mock.baseURL, "--ws-url", mock.wsURL,
        "--config", try config(risk), "--symbol", "BTCUSDT",
      ], env: keys ? bybitKeys(mock) : [:])
  }

  @Test func aReadyBybitAccountPassesEveryCheck() throws {
    let mock = try MockBybitTrading()
    mock.clockSkewMs = -3_000
    var key = mock.keySettings
    key.ips = ["203.0.113.7"]
    mock.keySettings = key
    let (status, lines) = try bybitDoctor(
      mock, risk: "[risk]\nrisk_per_trade = 0.01\ndefault_leverage = 3.0\n")
    #expect(status == 0, "\(lines)")
    #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("✓") }, "\(lines)")
    for expected in [
      "✓ clock: REST", "✓ websocket:", "✓ keys: valid; unified account wallet 10000.00 USDT",
      "✓ key permissions: contract orders and positions, withdrawals disabled",
      "✓ account mode: unified trading account", "✓ margin mode: isolated margin",
      "✓ position BTCUSDT: one-way, leverage 10x now; `wick run --live` sets 3x at start",
      "✓ sizing BTCUSDT: risking 100.00 USDT with a 1% stop orders 10000.00 USDT",
    ] {
      #expect(lines.contains { $0.hasPrefix(expected) }, "\(expected) in \(lines)")
    }
    #expect(lines.contains { $0.contains("clock offset -") }, "\(lines)")
    #expect(!lines.joined().contains(mock.apiSecret) && !lines.joined().contains(mock.apiKey))
    // The doctor only reads: no order, no leverage change.
    #expect(mock.orderCreateRequests == 0 && mock.leverage("BTCUSDT") == nil)
  }

  @Test func aRiskyBybitAccountIsNamedWithEachFix() throws {
    let mock = try MockBybitTrading()
    mock.hedgeModeSymbols = ["BTCUSDT"]
    mock.setAccountInfo(unifiedMarginStatus: 1, marginMode: "REGULAR_MARGIN")
    var key = mock.keySettings
    key.wallet.append("Withdraw")
    mock.keySettings = key
    mock.adjustWallet(by: -9_950)  // 50 USDT: 0.50 risked at 1 %
    mock.setInstrument(
      "BTCUSDT",
      MockBybitTrading.Instrument(
        tickSize: 0.1, qtyStep: 0.001, minOrderQty: 0.001, minNotional: 100))
    let (status, lines) = try bybitDoctor(
      mock, risk: "[risk]\nrisk_per_trade = 0.01\ndefault_leverage = 3.0\n")
    #expect(status == 1)
    let text = lines.joined(separator: "\n")
    #expect(
      text.contains(
        "✗ position BTCUSDT: hedge mode (two sides); Wick trades one-way mode — fix: switch BTCUSDT to One-Way Mode"
      ), "\(text)")
    #expect(text.contains("✗ account mode: classic account"), "\(text)")
    #expect(text.contains("⚠ WARNING margin mode: cross margin"), "\(text)")
    #expect(text.contains("⚠ WARNING key permissions: WITHDRAWALS ARE ENABLED"), "\(text)")
    #expect(
      text.contains("✗ sizing BTCUSDT: risking 0.50 USDT (risk_per_trade 0.01 of 50.00 USDT)"),
      "\(text)")
    #expect(text.contains("below the exchange's minimum order of 100.00 USDT"), "\(text)")
  }

  @Test func aReadOnlyBybitKeyFails() throws {
    let mock = try MockBybitTrading()
    var key = mock.keySettings
    key.readOnly = true
    mock.keySettings = key
    let (status, lines) = try bybitDoctor(mock, risk: "")
    #expect(status == 1)
    #expect(
      lines.contains { $0.hasPrefix("✗ key permissions: read-only key: it cannot place orders") },
      "\(lines)")
  }

  @Test func missingBybitKeysNameTheVariables() throws {
    let mock = try MockBybitTrading()
    let (status, lines) = try bybitDoctor(mock, risk: "", keys: false)
    #expect(status == 1)
    #expect(
      lines.contains {
        $0.hasPrefix("✗ keys:")
          && $0.contains("export WICK_BYBIT_API_KEY and WICK_BYBIT_API_SECRET")
      }, "\(lines)")
    // The public checks still run: the minimum order is named.
    #expect(lines.contains { $0.hasPrefix("✗ sizing BTCUSDT: needs the wallet's equity") })
  }

  @Test func aWrongBybitSecretFailsWithoutPrintingIt() throws {
    let mock = try MockBybitTrading()
    let (status, lines) = try doctor(
      [
        "--exchange", "bybit", "--base-url", mock.baseURL, "--ws-url", mock.wsURL, "--symbol",
        "BTCUSDT",
      ], env: ["WICK_BYBIT_API_KEY": mock.apiKey, "WICK_BYBIT_API_SECRET": "wrong-secret-77"])
    #expect(status == 1)
    #expect(lines.contains { $0.hasPrefix("✗ keys: refused:") }, "\(lines)")
    #expect(!lines.joined().contains("wrong-secret-77"))
  }
}
