import Foundation
import Testing
import WickCore

@testable import WickRisk

@Suite struct ConfigTests {
  @Test func theShippedExampleIsValid() throws {
    let c = try WickConfig.load(path: "config/wick.toml")
    #expect(c.risk.riskPerTrade == 0.01)
    #expect(c.risk.lossStreakDecay.map(\.losses) == [2, 4])
    #expect(c.accounts.first?.allocation == 5000)
    #expect(c.instruments["BTCUSDT"]?.minQty == 0.001)
    #expect(c.governor.maxConcurrentPositions == 5)
    #expect(c.costs.fundingRate == 0.0001)
    #expect(c.exchanges["bybit"]?.baseURL == "https://api.bybit.com")
    #expect(c.sandbox == SandboxConfig())  // the example documents the defaults
    #expect(c.sessions == .standard)  // ... and so do its sessions
  }

  @Test func flattenOnDailyLossIsReadAndOffByDefault() throws {
    #expect(!WickConfig().risk.flattenOnDailyLoss && !WickConfig().caps.flattenOnDailyLoss)
    let c = try WickConfig.parse(
      """
      [risk]
      flatten_on_daily_loss = true
      [account.a]
      symbol = "BTCUSDT"
      allocation = 100
      max_daily_loss = 5
      [caps]
      max_daily_loss = 20
      flatten_on_daily_loss = true
      """, path: "w.toml")
    // An account's own limit is enough for the [risk] key.
    #expect(c.risk.flattenOnDailyLoss && c.caps.flattenOnDailyLoss)
  }

  @Test func sessionWindowsAreRead() throws {
    let c = try WickConfig.parse(
      "[sessions]\nasia = \"00:00-09:00\"\nnew_york = \"12:30-24:00\"\n", path: "w.toml")
    #expect(c.sessions.asia.description == "00:00-09:00")
    #expect(c.sessions.london == TradingSessions.standard.london)
    #expect(c.sessions.newYork.description == "12:30-24:00")
    // 2024-01-01T12:45Z: London and the moved New York window.
    #expect(c.sessions.session(at: 1_704_113_100_000) == .londonNewYork)
  }

  @Test func sandboxLimitsAreRead() throws {
    let c = try WickConfig.parse(
      "[sandbox]\ncallback_seconds = 0.25\ninit_seconds = 3\nhard_deadline_seconds = 1\nmemory_mb = 32\n",
      path: "w.toml")
    #expect(c.sandbox.callbackSeconds == 0.25)
    #expect(c.sandbox.initSeconds == 3)
    #expect(c.sandbox.hardDeadlineSeconds == 1)
    #expect(c.sandbox.memoryMB == 32)
  }

  @Test(arguments: [
    (
      "[risk]\nrisk_per_trade = 0.01\nmax_drawdown = 0.3\n", 3,
      "unknown key 'max_drawdown' in [risk]"
    ),
    ("[risk]\nmax_leverage = 500\n", 2, "max_leverage: 500 is out of range"),
    ("[risk]\nrequire_stop = \"yes\"\n", 2, "expected true or false"),
    ("[governer]\nx = 1\n", 1, "unknown key 'governer' in top level"),
    ("[account.a]\nsymbol = \"BTCUSDT\"\n", 1, "needs allocation"),
    ("[risk]\nmax_trades_per_day = 2.5\n", 2, "expected a whole number"),
    ("[risk]\nloss_streak_decay = [[2, 1.5]]\n", 2, "factor in (0, 1]"),
    ("[instrument.BTCUSDT]\nlot = 0.001\n", 2, "unknown key 'lot' in [instrument.BTCUSDT]"),
    ("[exchange.bybit]\nbase_url = \"ftp://x\"\n", 2, "expected an http(s) URL"),
    (
      "[exchange.kraken]\nbase_url = \"https://x\"\n", 1,
      "expected [exchange.bybit] or [exchange.binance]"
    ),
    ("[sandbox]\ncallback_seconds = 0\n", 2, "callback_seconds: 0 is out of range"),
    ("[sandbox]\nmemory_mb = 1.5\n", 2, "expected a whole number"),
    ("[sandbox]\ninstructions = 5\n", 2, "unknown key 'instructions' in [sandbox]"),
    (
      "[sessions]\nlondon = \"7-16\"\n", 2,
      "[sessions] london: expected a UTC window \"HH:MM-HH:MM\""
    ),
    ("[sessions]\nasia = \"08:00-08:00\"\n", 2, "[sessions] asia: expected a UTC window"),
    ("[sessions]\nnew_york = 13\n", 2, "[sessions] new_york: expected a UTC window"),
    ("[sessions]\ntokyo = \"00:00-09:00\"\n", 2, "unknown key 'tokyo' in [sessions]"),
    (
      "[risk]\nflatten_on_daily_loss = 1\n", 2,
      "[risk] flatten_on_daily_loss: expected true or false"
    ),
    // A flatten with no daily limit to act on would silently do nothing.
    (
      "[risk]\nmax_daily_loss = 0\nflatten_on_daily_loss = true\n", 3,
      "[risk] flatten_on_daily_loss: no daily loss limit to act on"
    ),
    (
      "[caps]\nflatten_on_daily_loss = true\n", 2,
      "[caps] flatten_on_daily_loss: no daily loss cap to act on"
    ),
    // A symbol holds one netted position: a second position on a pair cannot exist.
    (
      "[governor]\nmax_concurrent_positions = 5\none_position_per_pair = false\n", 3,
      "[governor] one_position_per_pair: false is not supported"
    ),
  ])
  func errorsNameTheKeyAndLine(text: String, line: Int, reason: String) {
    do {
      _ = try WickConfig.parse(text, path: "w.toml")
      Issue.record("accepted: \(text)")
    } catch {
      #expect("\(error)".hasPrefix("w.toml:\(line):"), "\(error)")
      #expect("\(error)".contains(reason), "\(error)")
    }
  }
}

/// `[data] record_liquidations` and a `[[run]]` entry's own `record_liquidations`: whether
/// `wick run` records its symbols' liquidations (on unless a file says otherwise).
@Suite struct RecordLiquidationsConfigTests {
  static let entries = """
    [[run]]
    strategy = "a.lua"
    symbols = ["BTCUSDT"]
    timeframe = "1m"

    [[run]]
    strategy = "b.lua"
    symbols = ["ETHUSDT"]
    timeframe = "1m"
    record_liquidations = true
    """

  @Test func onByDefaultOffWhenTheFileSaysAndAnEntryDecidesForItself() throws {
    let plain = try WickConfig.parse(Self.entries, path: "w.toml")
    #expect(plain.recordLiquidations)
    #expect(plain.runs.map(\.recordLiquidations) == [true, true])
    let off = try WickConfig.parse(
      "[data]\nrecord_liquidations = false\n\n" + Self.entries, path: "w.toml")
    #expect(!off.recordLiquidations)
    #expect(off.runs.map(\.recordLiquidations) == [false, true])
  }

  @Test func aWrongValueOrKeyNamesTheLine() {
    #expect(throws: WickError.self) {
      try WickConfig.parse("[data]\nrecord_liquidations = \"no\"\n", path: "w.toml")
    }
    do {
      _ = try WickConfig.parse("[data]\n\nrecord_liquidation = false\n", path: "w.toml")
      Issue.record("an unknown key was accepted")
    } catch {
      #expect("\(error)".contains("w.toml:3"), "\(error)")
      #expect("\(error)".contains("record_liquidation"), "\(error)")
    }
  }
}
