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
