import FuzzSupport
import WickBinance
import WickData
import WickLive

/// Binance USDⓈ-M REST answers through the client's own decoding: market klines, funding and
/// time, exchangeInfo filters, account modes, orders, algo orders, positions, the wallet,
/// funding income, the ticker and the listen key. The first byte picks the endpoint.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinanceREST(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let (choice, body) = FuzzInput(data, count).split(15)
  let rest = BinanceRESTClient(
    baseURL: "http://127.0.0.1:9", credentials: LiveCredentials(apiKey: "k", apiSecret: "s"),
    transport: ReplayTransport(body: body.bytes), retry: FuzzPolicy.retry,
    limiter: FuzzPolicy.limiter, localClock: { 1_700_000_000_000 }, sleep: FuzzPolicy.noSleep)
  let api = BinanceTradingAPI(rest: rest)
  let market = BinanceAPI()
  switch choice {
  case 0: _ = try? market.parseKlines(JSONDocument(body.bytes))
  case 1: _ = try? market.parseFunding(JSONDocument(body.bytes))
  case 2: _ = try? market.parseServerTime(JSONDocument(body.bytes))
  case 3: try? rest.syncTime()
  case 4: _ = try? api.instrument("BTCUSDT")
  case 5: _ = try? api.isHedgeMode()
  case 6: _ = try? api.isMultiAssetsMode()
  case 7: _ = try? api.order(clientOrderId: "w1-1-BTCUSDT-e", symbol: "BTCUSDT")
  case 8: _ = try? api.openAlgoOrders(symbol: "BTCUSDT")
  case 9: _ = try? api.position(symbol: "BTCUSDT")
  case 10: _ = try? api.positions()
  case 11: _ = try? api.wallet()
  case 12: _ = try? api.funding(symbol: "BTCUSDT", since: 0)
  case 13: _ = try? api.lastPrice(symbol: "BTCUSDT")
  default: _ = try? api.createListenKey()
  }
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_binance_rest_main`.
@_cdecl("fuzz_binance_rest_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzBinanceREST)
}
