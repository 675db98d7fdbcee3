// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for every parser that reads outside input. A package of its own so that the
// normal `swift build` and `make test` never see them: each target is an executable whose only
// entry point is `LLVMFuzzerTestOneInput`, which links only with `-sanitize=fuzzer` (libFuzzer
// supplies `main`). `make fuzz` builds them with ASan on everything, libFuzzer's coverage on the
// Swift code and UBSan plus coverage on the C code (swiftc has no UBSan on Linux):
//   swift build --sanitize=address -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library \
//     -Xcc -fsanitize=undefined,fuzzer-no-link
// and runs each on its seed corpus under Fuzz/Corpus/<target>. Debug builds, so that
// `@testable import` reaches the internal decoders (BybitDecode, the private stream's handler).
let exchanges: Target.Dependency = .product(name: "WickExchanges", package: "Wick")

let package = Package(
  name: "WickFuzz",
  platforms: [.macOS(.v14)],
  dependencies: [
    .package(name: "Wick", path: ".."),
    // The server's own HTTP decoder and an in-memory channel for fuzz-dashboard-routes (the
    // same versions Wick resolves).
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
  ],
  targets: [
    // What the targets share: the input as text, a transport that answers with the input.
    .target(
      name: "FuzzSupport",
      dependencies: [.product(name: "WickParsers", package: "Wick")]),
    .executableTarget(name: "fuzz-toml", dependencies: ["FuzzSupport"]),
    .executableTarget(name: "fuzz-csv", dependencies: ["FuzzSupport"]),
    .executableTarget(name: "fuzz-params", dependencies: ["FuzzSupport"]),
    .executableTarget(name: "fuzz-lua-host", dependencies: ["FuzzSupport"]),
    .executableTarget(name: "fuzz-bybit-rest", dependencies: ["FuzzSupport", exchanges]),
    .executableTarget(name: "fuzz-bybit-ws", dependencies: ["FuzzSupport", exchanges]),
    .executableTarget(name: "fuzz-binance-rest", dependencies: ["FuzzSupport", exchanges]),
    .executableTarget(name: "fuzz-binance-ws", dependencies: ["FuzzSupport", exchanges]),
    .executableTarget(
      name: "fuzz-dashboard",
      dependencies: ["FuzzSupport", .product(name: "WickDashboard", package: "Wick")]),
    .executableTarget(
      name: "fuzz-dashboard-routes",
      dependencies: [
        "FuzzSupport", .product(name: "WickDashboard", package: "Wick"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
