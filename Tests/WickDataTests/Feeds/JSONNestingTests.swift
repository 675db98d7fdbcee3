import Testing

@testable import WickData

/// Found while writing the fuzz targets (`make fuzz`, the REST and WebSocket targets): the
/// exchange-answer reader recursed once per nesting level without a bound, so a body of a few
/// thousand `[` (a broken proxy, a hostile endpoint) could overflow the thread's stack and end
/// the process instead of failing that one request.
@Suite struct JSONNestingTests {
  @Test func deepNestingIsAMalformedAnswerNotACrash() {
    for open in ["[", "{\"a\":"] {
      let body = Array(String(repeating: open, count: 200_000).utf8)
      #expect(throws: (any Error).self) { try JSONDocument(body) }
    }
  }

  @Test func theExchangesNestingStillReads() throws {
    // Binance exchangeInfo: object > symbols array > symbol > filters array > filter (depth 5).
    let body =
      #"{"symbols":[{"symbol":"BTCUSDT","filters":[{"filterType":"LOT_SIZE","stepSize":"0.001"}]}]}"#
    let doc = try JSONDocument(Array(body.utf8))
    guard case .array(let symbols)? = doc.member(doc.root, "symbols"),
      case .array(let filters)? = doc.member(symbols[0], "filters")
    else {
      Issue.record("exchangeInfo shape not read")
      return
    }
    #expect(doc.double(doc.member(filters[0], "stepSize")!) == 0.001)
    let nested = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect(throws: Never.self) { try JSONDocument(Array(nested.utf8)) }
  }
}
