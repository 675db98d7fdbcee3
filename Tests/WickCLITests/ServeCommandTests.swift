import Foundation
import Testing
import WickCore

@testable import WickCLI

/// Where `wick serve` finds the dashboard token, and its defaults.
@Suite struct ServeCommandTests {
  func config(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-serve-\(UUID().uuidString).toml"
    ).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func theTokenComesFromTheEnvironmentOrTheDashboardSection() throws {
    let file = try config("[dashboard]\ntoken = \"from-the-config-file\"\n")
    #expect(
      try ServeCommand.resolveToken(environment: [:], configPath: file) == "from-the-config-file")
    #expect(
      try ServeCommand.resolveToken(
        environment: ["WICK_DASHBOARD_TOKEN": "from-the-environment"], configPath: file)
        == "from-the-environment")
    // Neither: read-only.
    #expect(
      try ServeCommand.resolveToken(environment: [:], configPath: "/nonexistent/wick.toml") == nil)
  }

  @Test func aShortTokenIsAnErrorWithItsLine() throws {
    let file = try config("[risk]\nrisk_per_trade = 0.01\n\n[dashboard]\ntoken = \"short\"\n")
    #expect {
      try ServeCommand.resolveToken(environment: [:], configPath: file)
    } throws: { error in
      "\(error)".contains(":5")
        && "\(error)".contains("[dashboard] token: use at least 12 characters")
    }
    #expect(throws: WickError.self) {
      try ServeCommand.resolveToken(
        environment: ["WICK_DASHBOARD_TOKEN": "short"], configPath: file)
    }
  }

  @Test func loopbackIsTheDefault() throws {
    let command = try ServeCommand.parse([])
    #expect(command.host == "127.0.0.1" && command.port == 8080)
    #expect(throws: (any Error).self) { try ServeCommand.parse(["--port", "70000"]) }
  }
}
