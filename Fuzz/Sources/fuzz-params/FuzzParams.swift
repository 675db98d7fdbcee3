import Foundation
import FuzzSupport
import WickLua

/// `--params FILE`: a JSON object or a TOML document of param names to values. The first byte
/// picks the format, as the file's extension does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParams(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let (choice, rest) = FuzzInput(data, count).split(2)
  _ = try? ParamsFile.parse(
    Data(rest.bytes), path: choice == 0 ? "fuzz.json" : "fuzz.toml")
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_params_main`.
@_cdecl("fuzz_params_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzParams)
}
