import FuzzSupport
import WickLive

@testable import WickBybit

/// Bybit WebSocket text frames: the public kline stream and the private stream (op answers,
/// order, execution and position updates applied to the event inbox).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBybitWS(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let text = FuzzInput(data, count).text
  _ = BybitKlines().parse(text)
  _ = BybitPrivateStream.handle(text, inbox: BybitEventInbox())
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_bybit_ws_main`.
@_cdecl("fuzz_bybit_ws_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzBybitWS)
}
