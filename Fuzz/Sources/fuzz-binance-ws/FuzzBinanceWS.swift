import FuzzSupport
import WickLive

/// Binance WebSocket text frames: the combined kline stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinanceWS(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  _ = BinanceKlines().parse(FuzzInput(data, count).text)
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_binance_ws_main`.
@_cdecl("fuzz_binance_ws_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzBinanceWS)
}
