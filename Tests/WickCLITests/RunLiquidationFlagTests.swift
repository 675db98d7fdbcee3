import Foundation
import Testing
import WickCore

@testable import WickCLI

/// `wick run` records its symbols' liquidations unless told not to, by a flag or by the config.
@Suite struct RunLiquidationFlagTests {
  static func spec(_ extra: [String], config: String? = nil) throws -> Bool {
    var args = ["strategies/ma_cross.lua", "--symbol", "BTCUSDT", "--timeframe", "1m"] + extra
    var file: URL?
    if let config {
      let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "wick-liqflag-\(UUID().uuidString).toml")
      try config.write(to: url, atomically: true, encoding: .utf8)
      args += ["--config", url.path]
      file = url
    }
    defer { file.map { try? FileManager.default.removeItem(at: $0) } }
    return try RunCommand.parse(args).spec().recordLiquidations
  }

  @Test func onByDefaultAndTheFlagOrTheConfigTurnsItOff() throws {
    #expect(try Self.spec([]))
    #expect(try Self.spec(["--record-liquidations"]))
    #expect(try !Self.spec(["--no-record-liquidations"]))
    let off = "[data]\nrecord_liquidations = false\n"
    #expect(try !Self.spec([], config: off))
    #expect(try Self.spec(["--record-liquidations"], config: off))
    #expect(try Self.spec([], config: "[risk]\nrisk_per_trade = 0.01\n"))
    // A config that says it wrongly is an error naming the file's line, not a silent default.
    #expect(throws: WickError.self) {
      try Self.spec([], config: "[data]\nrecord_liquidations = 1\n")
    }
  }
}
