import FuzzSupport
import WickLive

/// Binance WebSocket text frames: the combined kline stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinanceWS(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  _ = BinanceKlines().parse(FuzzInput(data, count).text)
  return 0
}
