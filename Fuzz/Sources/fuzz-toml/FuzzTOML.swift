import FuzzSupport
import WickCore
import WickRisk

/// `wick.toml`: the TOML reader and the config's section and key validation behind it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTOML(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let text = FuzzInput(data, count).strictText else { return 0 }
  _ = try? WickConfig.parse(text, path: "fuzz.toml")
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_toml_main`.
@_cdecl("fuzz_toml_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzTOML)
}
