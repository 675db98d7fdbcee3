// swift-tools-version:6.1
import PackageDescription

/// The release build that `make demo` and `make test` share (the Makefile sets WICK_TESTED=1 for
/// it, never for `make release`, `bench` or `compare`). Only Wick's own modules compile with
/// `-enable-testing` (the tests' `@testable import`): passed with `-Xswiftc` it also reached NIO
/// and GRDB, whose internals then all had to be emitted and kept (13 % more of their
/// compile time, which is most of the build).
let tested = Context.environment["WICK_TESTED"] == "1"
let testability: [String] = tested ? ["-enable-testing"] : []

// The per-candle path runs millions of times a second: dynamic exclusivity checks on class
// properties cost more than the work itself there, so release builds turn them off.
let strict: [SwiftSetting] = [
  .unsafeFlags(["-enforce-exclusivity=unchecked"] + testability, .when(configuration: .release))
]

/// Wick's I/O and wiring (the CLI, the dashboard, the runners' sockets, the exchange adapters,
/// the test support) compile unoptimised in the tested build: optimising them cost as much as
/// NIO and bought nothing a test or the demo can see (their time goes to waiting on sockets and
/// processes; the candle loop, Lua, SQLite reads, statistics and reports stay optimised).
/// `make release` optimises them like everything else.
let unoptimisedWhenTested: [String] = tested ? ["-Onone"] : []
let wiring: [SwiftSetting] = [
  .unsafeFlags(
    ["-enforce-exclusivity=unchecked"] + testability + unoptimisedWhenTested,
    .when(configuration: .release))
]
let testSupport: [SwiftSetting] = [
  .unsafeFlags(testability + unoptimisedWhenTested, .when(configuration: .release))
]

/// The vendored Lua 5.4 sources (Sources/CLua), built through Sources/CLua/lua_onefile.c.
let luaSources = [
  "lapi", "lauxlib", "lbaselib", "lcode", "lcorolib", "lctype", "ldblib", "ldebug", "ldo", "ldump",
  "lfunc", "lgc", "linit", "liolib", "llex", "lmathlib", "lmem", "loadlib", "lobject", "lopcodes",
  "loslib", "lparser", "lstate", "lstring", "lstrlib", "ltable", "ltablib", "ltm", "lundump",
  "lutf8lib", "lvm", "lzio",
]

/// Test code compiles without optimisation, also in the release build that `make test` shares
/// with `make demo`: optimising 24k lines of assertions took 40 % of the test targets' compile
/// time and bought nothing (the code under test stays optimised).
let testCode: [SwiftSetting] = [.unsafeFlags(["-Onone"], .when(configuration: .release))]

let package = Package(
  name: "Wick",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "wick", targets: ["wick"]),
    // The parsers' modules as products, so that the fuzz package (Fuzz/, built only by
    // `make fuzz`) can depend on them: another package sees products, never bare targets. Three,
    // so that the parsers' fuzzers build without NIO.
    .library(
      name: "WickParsers", targets: ["WickCore", "WickData", "WickLua", "WickRisk", "WickSim"]),
    .library(name: "WickExchanges", targets: ["WickLive", "WickBybit", "WickBinance"]),
    .library(name: "WickDashboard", targets: ["WickServer"]),
  ],
  dependencies: [
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    // NIO for WickNet's TLS and WebSocket client (the exchanges' streams: Debian's libcurl has
    // no ws/wss), the dashboard's HTTP/1.1 server (WickServer/HTTP) and the loopback mock
    // WebSocket servers in WickTesting. TLS is the system's OpenSSL (CSSL): no package here
    // compiles a BoringSSL. No web framework: Hummingbird and what only it pulled in
    // (swift-async-algorithms, _NIOFileSystem, swift-system, swift-http-types,
    // swift-service-lifecycle, swift-distributed-tracing, swift-metrics) cost about 220 s of CPU
    // in every build from nothing, for seven routes.
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    // System libraries: Debian's Lua 5.4, libcurl and libcrypto, with shims for what Swift cannot import.
    // Lua 5.4.4 (the version Debian ships) built from its source, with one change in luaconf.h:
    // a fixed string-hash seed, so that table traversal order, and with it any script's results,
    // is the same in every run (stock Lua seeds from the time and ASLR addresses). Compiled as one
    // file (lua_onefile.c includes the sources), with -O3 in debug builds too: the tests run a lot
    // of Lua. No dlopen (package.loadlib stays inert).
    .target(
      name: "CLua", exclude: ["LICENSE"] + luaSources.map { "\($0).c" },
      cSettings: [
        .define("LUA_COMPAT_5_3"), .define("LUA_USE_POSIX"), .unsafeFlags(["-O3", "-w"]),
      ]),
    .systemLibrary(
      name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    // OpenSSL's libcrypto (which libcurl links anyway) for HMAC-SHA256 request signing and the
    // mock's WebSocket handshake: swift-crypto compiled a second BoringSSL into every build.
    .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    // OpenSSL's libssl for TLS (the dashboard's HTTPS, the exchanges' wss://), in place of the
    // BoringSSL that swift-nio-ssl compiles into every first build.
    .systemLibrary(name: "CSSL", pkgConfig: "libssl", providers: [.apt(["libssl-dev"])]),

    .target(name: "WickCore", swiftSettings: strict),
    .target(
      name: "WickLua", dependencies: ["CLua", "WickCore"], swiftSettings: strict),
    .target(
      name: "WickData",
      dependencies: [
        "WickCore", "CCurl",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
      ], swiftSettings: strict),
    .target(name: "WickSim", dependencies: ["WickCore"], swiftSettings: strict),
    // TLS on NIO channels through the system's OpenSSL, and the WebSocket client (ws://, wss://)
    // of the exchanges' streams.
    .target(
      name: "WickNet",
      dependencies: [
        "CSSL",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
      ], swiftSettings: wiring),
    .target(name: "WickRisk", dependencies: ["WickCore"], swiftSettings: strict),
    .target(
      name: "WickReport", dependencies: ["WickCore"], exclude: ["Vendor"], swiftSettings: strict),
    .target(name: "WickStats", dependencies: ["WickCore"], swiftSettings: strict),
    // The dashboard (`wick serve`): pages, live updates and controls over the ledger tables, on
    // a small HTTP/1.1 server of its own over NIOHTTP1 (HTTP/).
    .target(
      name: "WickServer",
      dependencies: [
        "WickCore", "WickLua", "WickData", "WickReport",
        .product(name: "GRDB", package: "GRDB.swift"),
        "WickNet",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ], swiftSettings: wiring),
    .target(
      name: "WickOptimize", dependencies: ["WickCore", "WickLua", "WickReport"],
      swiftSettings: strict),
    // Paper and live runners, market-data streams, what every exchange adapter shares (client
    // order ids, signing, the live venue's contract, recorded history), reconciliation's report.
    // Names no exchange: the adapters below plug in through `LiveExchanges`.
    .target(
      name: "WickLive",
      dependencies: [
        "WickCore", "WickData", "WickSim", "WickRisk", "WickLua", "WickStats",
        "CCrypto",
        "WickNet",
        .product(name: "Logging", package: "swift-log"),
      ], swiftSettings: wiring),
    // Exchange adapters, one module each: Bybit v5 (linear USDT perpetuals) signed REST, private
    // stream, executor, reconciler and venue.
    .target(
      name: "WickBybit",
      dependencies: [
        "WickCore", "WickData", "WickSim", "WickRisk", "WickLive",
        "WickNet",
        .product(name: "Logging", package: "swift-log"),
      ], swiftSettings: wiring),
    // Binance USDⓈ-M (linear USDT perpetuals): signed REST, account set-up, orders, the Algo
    // Order API for stops, wallet and funding.
    .target(
      name: "WickBinance",
      dependencies: [
        "WickCore", "WickData", "WickSim", "WickRisk", "WickLive",
        "WickNet",
        .product(name: "Logging", package: "swift-log"),
      ], swiftSettings: wiring),
    // Notification sinks (Telegram, Discord, Slack, ntfy, webhook) and the outbox's delivery
    // thread, over libcurl (WickData's HTTP client).
    .target(
      name: "WickNotify", dependencies: ["WickCore", "WickData", "WickRisk"],
      swiftSettings: wiring),
    .target(
      name: "WickCLI",
      dependencies: [
        "WickCore", "WickLua", "WickData", "WickSim", "WickRisk", "WickReport", "WickStats",
        "WickOptimize", "WickServer", "WickLive", "WickBybit", "WickBinance", "WickNotify",
        "CCrypto",  // SHA-256 of the script, plugins and config a backtest records
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ], swiftSettings: wiring),
    .executableTarget(name: "wick", dependencies: ["WickCLI"], swiftSettings: strict),
    .executableTarget(
      name: "wick-bench",
      dependencies: [
        "WickCore", "WickLua", "WickData", "WickSim", "WickReport", "WickCLI", "WickRisk",
        "WickStats", "WickTesting",
        "WickOptimize",
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      path: "Benchmarks/wick-bench", swiftSettings: strict),

    // Test support shared by the test targets: mock exchange, fixtures, synthetic strategies.
    .target(
      name: "WickTesting",
      dependencies: [
        "WickCore", "WickData",
        "CCrypto",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
      ], swiftSettings: testSupport),

    .testTarget(name: "WickCoreTests", dependencies: ["WickCore"], swiftSettings: testCode),
    .testTarget(
      name: "WickNetTests",
      dependencies: [
        "WickNet", "WickTesting",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
      ], swiftSettings: testCode),
    .testTarget(
      name: "WickLuaTests", dependencies: ["WickLua", "WickCore", "CLua", "WickTesting"],
      swiftSettings: testCode),
    .testTarget(
      name: "WickDataTests",
      dependencies: [
        "WickData", "WickCore", "WickTesting", .product(name: "GRDB", package: "GRDB.swift"),
      ], swiftSettings: testCode),
    .testTarget(
      name: "WickSimTests",
      dependencies: ["WickSim", "WickCore", "WickLua", "WickRisk", "WickTesting"],
      swiftSettings: testCode),
    .testTarget(
      name: "WickReportTests", dependencies: ["WickReport", "WickCore", "WickTesting"],
      // The golden JSON is read from its path by the test, not bundled.
      exclude: ["Fixtures"], swiftSettings: testCode),
    .testTarget(
      name: "WickStatsTests", dependencies: ["WickStats", "WickCore", "WickData", "WickLua"],
      swiftSettings: testCode),
    .testTarget(
      name: "WickRiskTests", dependencies: ["WickRisk", "WickCore", "WickSim"],
      swiftSettings: testCode),
    .testTarget(
      name: "WickServerTests",
      dependencies: [
        "WickServer", "WickCore", "WickData", "WickLua", "WickReport", "WickNet", "WickTesting",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ], swiftSettings: testCode),
    .testTarget(
      name: "WickOptimizeTests",
      dependencies: ["WickOptimize", "WickCore", "WickLua", "WickReport"], swiftSettings: testCode),
    .testTarget(
      name: "WickCLITests",
      dependencies: [
        "WickCLI", "WickCore", "WickData", "WickLive", "WickOptimize", "WickTesting",
        .product(name: "GRDB", package: "GRDB.swift"),
      ], swiftSettings: testCode),
    .testTarget(
      name: "WickBinanceTests",
      dependencies: [
        "WickBinance", "WickLive", "WickCore", "WickData", "WickRisk", "WickSim", "WickTesting",
      ], swiftSettings: testCode),
    .testTarget(
      name: "WickNotifyTests",
      dependencies: [
        "WickNotify", "WickLive", "WickCore", "WickData", "WickRisk", "WickTesting",
        .product(name: "GRDB", package: "GRDB.swift"),
      ], swiftSettings: testCode),
    .testTarget(
      name: "WickLiveTests",
      dependencies: [
        "WickLive", "WickBybit", "WickBinance", "WickCore", "WickData", "WickRisk", "WickSim",
        "WickTesting",
        .product(name: "GRDB", package: "GRDB.swift"),
      ], swiftSettings: testCode),
  ],
  swiftLanguageModes: [.v6]
)
