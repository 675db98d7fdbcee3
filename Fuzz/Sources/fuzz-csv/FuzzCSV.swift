import FuzzSupport
import WickCore
import WickData

/// `wick data import`: the CSV reader (header detection, time formats, OHLC checks).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let input = FuzzInput(data, count)
  _ = try? CSVImporter(timeframe: .oneMinute).candles(from: input.bytes, file: "fuzz.csv")
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_csv_main`.
@_cdecl("fuzz_csv_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzCSV)
}
