import FuzzSupport
import WickCore
import WickRisk

/// `wick.toml`: the TOML reader and the config's section and key validation behind it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTOML(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let text = FuzzInput(data, count).strictText else { return 0 }
  _ = parses(text)
  return 0
}

/// Whether `text` is a valid config. Its own function: with the config parsed and dropped inside
/// the C entry point, every input that parsed crashed libFuzzer right after the call (a pointer
/// found zeroed in its `LooseMemeq`; seen on 2026-12-08, not on the day before, with the same
/// target code and a larger `WickConfig`); not understood, and not seen in any other build.
@inline(never)
func parses(_ text: String) -> Bool {
  (try? WickConfig.parse(text, path: "fuzz.toml")) != nil
}

/// The process's entry point: SwiftPM links `main` to `fuzz_toml_main`.
@_cdecl("fuzz_toml_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzTOML)
}
