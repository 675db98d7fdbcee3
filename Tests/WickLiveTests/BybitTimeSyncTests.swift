import Testing
import WickData

@testable import WickBybit

/// Found by `make fuzz` (fuzz-bybit-rest): a server answering every request, the unsigned
/// `/v5/market/time` included, with retCode 10002 made the client resync inside its resync until
/// the stack overflowed and the runner died. Now the time request fails with Bybit's message.
@Suite struct BybitTimeSyncTests {
  final class StaleTimestampServer: HTTPTransport {
    var requests = 0
    func get(_ url: String) throws -> HTTPResponse {
      try send(HTTPRequest(method: "GET", url: url))
    }
    func send(_ request: HTTPRequest) throws -> HTTPResponse {
      requests += 1
      return HTTPResponse(
        status: 200,
        body: Array(
          #"{"retCode":10002,"retMsg":"invalid request, please check your server timestamp","result":{}}"#
            .utf8))
    }
  }

  @Test func aTimeAnswerOfStaleTimestampIsAnErrorNotARecursion() throws {
    let server = StaleTimestampServer()
    let rest = BybitRESTClient(
      baseURL: "http://127.0.0.1:9", credentials: BybitCredentials(apiKey: "k", secret: "s"),
      transport: server, retry: RetryPolicy(maxAttempts: 1, baseDelay: 0, maxDelay: 0),
      sleep: { _ in })
    #expect(throws: BybitError.self) { try rest.syncTime() }
    #expect(throws: BybitError.self) { try rest.get("/v5/position/list", ["category": "linear"]) }
    // The signed request resynced once (one time request), then gave up: three requests in all.
    #expect(server.requests == 3)
  }
}
