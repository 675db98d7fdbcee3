import FuzzSupport
import WickBybit
import WickData

/// Bybit v5 REST answers, each endpoint through the client's own decoding (envelope, retCode,
/// `result.list` rows): market klines, funding and time, instruments, orders, executions,
/// positions and the wallet. The first byte picks the endpoint; the rest is the body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBybitREST(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let (choice, body) = FuzzInput(data, count).split(13)
  let rest = BybitRESTClient(
    baseURL: "http://127.0.0.1:9", credentials: BybitCredentials(apiKey: "k", secret: "s"),
    transport: ReplayTransport(body: body.bytes), retry: FuzzPolicy.retry,
    limiter: FuzzPolicy.limiter, localClock: { 1_700_000_000_000 }, sleep: FuzzPolicy.noSleep)
  let api = BybitTradingAPI(rest: rest)
  let market = BybitAPI()
  switch choice {
  case 0: _ = try? market.parseKlines(JSONDocument(body.bytes))
  case 1: _ = try? market.parseFunding(JSONDocument(body.bytes))
  case 2: _ = try? market.parseServerTime(JSONDocument(body.bytes))
  case 3: try? rest.syncTime()
  case 4: _ = try? api.instrument("BTCUSDT")
  case 5: _ = try? api.order(linkID: "w1-1-BTCUSDT-e", symbol: "BTCUSDT")
  case 6: _ = try? api.openOrders(symbol: "BTCUSDT")
  case 7: _ = try? api.position(symbol: "BTCUSDT")
  case 8: _ = try? api.isOneWay(symbol: "BTCUSDT")
  case 9: _ = try? api.openPositions()
  case 10: _ = try? api.executions(symbol: "BTCUSDT")
  case 11: _ = try? api.wallet()
  default: _ = try? api.fundingExecutions(symbol: "BTCUSDT", since: 0)
  }
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_bybit_rest_main`.
@_cdecl("fuzz_bybit_rest_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzBybitREST)
}
