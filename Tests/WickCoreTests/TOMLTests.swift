import Testing

@testable import WickCore

@Suite struct TOMLTests {
  @Test func parsesTheConstructsWickUses() throws {
    let doc = try TOMLParser.parse(
      """
      # comment
      title = "wick" # trailing comment
      count = 1_000
      ratio = 0.25
      neg = -3e-2
      on = true
      list = [1, 2,
        3, ] # multi-line with trailing comma
      pairs = [{ a = "BTCUSDT", b = 'ETHUSDT' }]
      "quoted key" = "x\\ty\\u00e9"

      [risk]
      risk_per_trade = 0.01

      [account.va1]
      symbol = "BTCUSDT"

      [[fills]]
      bps = 1
      [[fills]]
      bps = 2
      """, path: "t.toml")
    #expect(doc["title"] == .string("wick"))
    #expect(doc["count"] == .integer(1000))
    #expect(doc["ratio"] == .float(0.25))
    #expect(doc["neg"] == .float(-0.03))
    #expect(doc["on"] == .bool(true))
    #expect(doc["list"] == .array([.integer(1), .integer(2), .integer(3)]))
    #expect(doc["quoted key"] == .string("x\tyé"))
    guard case .array(let pairs)? = doc["pairs"], case .table(let p)? = pairs.first else {
      Issue.record("pairs")
      return
    }
    #expect(p["b"] == .string("ETHUSDT"))
    guard case .table(let risk)? = doc["risk"] else {
      Issue.record("risk")
      return
    }
    #expect(risk.entry("risk_per_trade")?.line == 13)
    guard case .table(let account)? = doc["account"], case .table(let va1)? = account["va1"] else {
      Issue.record("account")
      return
    }
    #expect(va1["symbol"] == .string("BTCUSDT"))
    guard case .array(let fills)? = doc["fills"] else {
      Issue.record("fills")
      return
    }
    #expect(fills.count == 2)
    #expect(
      doc.entry("pairs")?.value.paramValue
        == .list([.table([("a", .string("BTCUSDT")), ("b", .string("ETHUSDT"))])]))
  }

  @Test(arguments: [
    ("a = 1\na = 2", 2, "duplicate key 'a'"),
    ("[x]\n[x]", 2, "defined twice"),
    ("a = \"open", 1, "unterminated string"),
    ("a = 1\nb = [1, 2", 2, "unterminated array"),
    ("a = hello", 1, "not a valid value"),
    ("a = 1 2", 1, "unexpected text"),
    ("\n\na 1", 3, "expected '='"),
    ("a = nan", 1, "inf and nan"),
    ("a = 2024-01-01", 1, "dates are not supported"),
    ("[t\nx = 1", 1, "expected ']'"),
  ])
  func errorsNameTheLine(text: String, line: Int, reason: String) {
    do {
      _ = try TOMLParser.parse(text, path: "bad.toml")
      Issue.record("parsed: \(text)")
    } catch let e as WickError {
      #expect("\(e)".hasPrefix("bad.toml:\(line):"), "\(e)")
      #expect("\(e)".contains(reason), "\(e)")
    } catch {
      Issue.record("\(error)")
    }
  }
}

/// Found while writing the fuzz targets (fuzz-toml, fuzz-params): arrays and inline tables were
/// read by recursion without a bound, so `x = [[[[…` deep enough could overflow the stack and
/// end the process instead of failing with the file and line.
@Suite struct TOMLNestingTests {
  @Test func deepNestingIsAnErrorWithTheLine() {
    for open in ["[", "{ a = "] {
      let text = "ok = 1\nx = " + String(repeating: open, count: 100_000) + "\n"
      #expect {
        try TOMLParser.parse(text, path: "deep.toml")
      } throws: { error in
        (error as? WickError)?.description
          == "deep.toml:2: arrays and inline tables nested deeper than 32 levels"
      }
    }
  }

  @Test func nestingAConfigUsesStillReads() throws {
    let doc = try TOMLParser.parse(
      "pairs = [{ a = \"BTCUSDT\", legs = [[1, 2], [3]] }]\n" + "m = "
        + String(repeating: "[", count: 32) + String(repeating: "]", count: 32) + "\n",
      path: "ok.toml")
    #expect(doc.entries.map(\.key) == ["pairs", "m"])
  }
}
