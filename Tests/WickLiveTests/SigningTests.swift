import Foundation
import Testing
import WickCore
import WickData

@testable import WickBybit
@testable import WickLive

/// Signatures against vectors computed independently, once, with Python's hmac module:
///   hmac.new(secret, message, hashlib.sha256).hexdigest()
@Suite struct SigningTests {
  let credentials = BybitCredentials(
    apiKey: "XXXXXXXXXX", secret: "Y1dTrQFdK0mXDqvRnAg8kjfmKZl1B2NrmiAo")

  @Test func getSignatureCoversTimestampKeyWindowAndQuery() {
    #expect(
      BybitSigner.restSignature(
        timestamp: 1_658_384_314_791, credentials: credentials, recvWindow: 5000,
        payload: "category=option&symbol=BTC-29JUL22-25000-C")
        == "f983efff32ceb58e32892baf7457643b04c44d52f671136ee5c904d9deb7306d")
  }

  @Test func postSignatureCoversTheRawBodyAsSent() {
    var body = JSONObjectWriter()
    body.add("category", "linear")
    body.add("symbol", "BTCUSDT")
    body.add("side", "Buy")
    body.add("orderType", "Market")
    body.add("qty", "0.010")
    body.add("orderLinkId", "w7-1700000000000-0e")
    body.add("positionIdx", int: 0)
    #expect(
      body.text
        == #"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.010","orderLinkId":"w7-1700000000000-0e","positionIdx":0}"#
    )
    #expect(
      BybitSigner.restSignature(
        timestamp: 1_658_384_431_891, credentials: credentials, recvWindow: 5000, payload: body.text
      )
        == "b3ad60b559a578fbc44430109c29fcc4ad42ae3c15f6136057c046263aa06c88")
  }

  /// RFC 4231's cases 2 and 6 (a short key; a key longer than SHA-256's block, hashed first):
  /// the libcrypto HMAC underneath every exchange's signature.
  @Test func hmacMatchesRFC4231() {
    #expect(
      RequestSigning.hmacSHA256Hex("what do ya want for nothing?", secret: "Jefe")
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    let longKey = [UInt8](repeating: 0xaa, count: 131)
    let message = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
    #expect(
      RequestSigning.hex(RequestSigning.hmacSHA256(message, key: longKey))
        == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
  }

  @Test func webSocketAuthSignsGetRealtimeAndExpiry() {
    #expect(
      BybitSigner.webSocketSignature(expires: 1_662_350_400_000, credentials: credentials)
        == "27b41292bffcef8ef9023e68e896ac9cd2d06d6340fe2dbde78725980e64280a")
  }

  @Test func credentialsComeFromTheEnvironmentAndNeverPrint() throws {
    let c = try BybitCredentials.fromEnvironment([
      "WICK_BYBIT_API_KEY": "key-abc", "WICK_BYBIT_API_SECRET": "secret-xyz",
    ])
    #expect(c.apiKey == "key-abc")
    for text in ["\(c)", String(reflecting: c)] {
      #expect(!text.contains("key-abc") && !text.contains("secret-xyz"))
    }
    #expect(c.scrub("origin_string[1key-abc5000] secret-xyz") == "origin_string[1***5000] ***")
    #expect(throws: WickError.self) {
      try BybitCredentials.fromEnvironment(["WICK_BYBIT_API_KEY": "k"])
    }
    do {
      _ = try BybitCredentials.fromEnvironment(["WICK_BYBIT_API_KEY": "k"])
    } catch {
      #expect("\(error)".contains("WICK_BYBIT_API_SECRET"))
    }
  }

  @Test func orderLinkIDsAreDeterministicAndWithinBybitsLimit() throws {
    let a = try OrderLinkID.make(
      run: 7, candleTime: 1_700_000_000_000, symbol: "BTCUSDT", role: .entry)
    #expect(a == "w7-1700000000-BTCUSDT-e")
    #expect(
      try OrderLinkID.make(run: 7, candleTime: 1_700_000_000_000, symbol: "BTCUSDT", role: .entry)
        == a)
    #expect(OrderLinkID.sibling(of: a, role: .panic) == "w7-1700000000-BTCUSDT-p")
    #expect(a.hasPrefix(OrderLinkID.runPrefix(7)))
    #expect(throws: WickError.self) {
      try OrderLinkID.make(
        run: Int64.max, candleTime: Int64.max, symbol: "1000PEPEUSDT", role: .exit)
    }
    #expect(throws: WickError.self) {
      try OrderLinkID.make(run: 1, candleTime: 0, symbol: "BTC/USDT", role: .exit)
    }
  }

  @Test func instrumentRulesRoundDownQuantitiesAndFormatWithTheStep() {
    let btc = BybitInstrument(
      symbol: "BTCUSDT", tickSize: 0.1, qtyStep: 0.001, minOrderQty: 0.001, minNotional: 5)
    #expect(btc.format(qty: 0.0129) == "0.012")
    #expect(btc.format(qty: 0.012) == "0.012")
    #expect(btc.format(price: 60_000.04) == "60000.0")
    #expect(btc.format(price: 60_000.06) == "60000.1")
    #expect(btc.spec.lotStep == 0.001 && btc.spec.minNotional == 5 && btc.spec.tickSize == 0.1)
    #expect(btc.sameQty(0.0120000001, 0.012))
    #expect(!btc.sameQty(0.013, 0.012))
  }
}
