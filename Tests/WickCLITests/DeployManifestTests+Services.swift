import ArgumentParser
import Foundation
import Testing

@testable import WickCLI

/// Nothing here can start systemd or Docker, so the units, the Dockerfile and the compose file
/// are held to the CLI instead: the binary where the image puts it, every command line parsing
/// with the current command tree, and the data directory the same everywhere.
extension DeployManifestTests {
  static let binary = "/usr/local/bin/wick"

  /// `Key=value` lines of a unit file (the last one wins, as systemd reads single-valued keys).
  func unitSettings(_ path: String) throws -> [String: [String]] {
    var settings: [String: [String]] = [:]
    for line in try text(path).split(separator: "\n") where !line.hasPrefix("#") {
      guard let eq = line.firstIndex(of: "=") else { continue }
      settings[String(line[..<eq]), default: []].append(String(line[line.index(after: eq)...]))
    }
    return settings
  }

  /// The unit's `ExecStart=` as parsed by the CLI, with `%i` standing for the instance `paper`.
  func execStart(_ settings: [String: [String]], unit: String) throws -> (
    program: String, command: any ParsableCommand
  ) {
    let line = try #require(settings["ExecStart"]?.last, "\(unit): no ExecStart=")
    let words = try #require(
      CommandLineText.commands(in: line.replacingOccurrences(of: "%i", with: "paper")).first)
    let arguments = try #require(CommandLineText.wickArguments(words), "\(unit): \(line)")
    if let failure = CommandLineText.parseFailure(arguments) {
      Issue.record("\(unit): ExecStart=\(line): \(failure)")
    }
    return (words[0], try WickCommand.parseAsRoot(arguments))
  }

  func expectHardened(_ s: [String: [String]], unit: String) {
    #expect(s["NoNewPrivileges"] == ["yes"], "\(unit)")
    #expect(s["ProtectSystem"] == ["strict"], "\(unit)")
    #expect(s["Restart"] == ["always"], "\(unit)")
    #expect(s["User"].map { $0 != ["root"] } == true, "\(unit): runs as its own user")
    // Keys in an environment file, none on the command line.
    #expect(s["EnvironmentFile"]?.first?.hasPrefix("-/etc/wick/") == true, "\(unit)")
    #expect(s["ExecStart"]?.last?.contains("API_") == false, "\(unit)")
  }

  @Test func systemdRunUnitStartsEveryEntryOfItsConfigInTheDataDirectory() throws {
    let unit = "deploy/systemd/wick-run@.service"
    let s = try unitSettings(unit)
    expectHardened(s, unit: unit)
    let (program, parsed) = try execStart(s, unit: unit)
    #expect(program == Self.binary)
    let run = try #require(parsed as? RunCommand, "\(unit) must start `wick run`")
    // One instance per config file, every [[run]] entry of it: no strategy argument.
    #expect(run.strategy == nil)
    #expect(run.config == "/var/lib/wick/paper.toml")
    let data = try #require(s["ReadWritePaths"]?.first)
    #expect(run.db.hasPrefix(data + "/"), "the ledger must be writable: \(run.db) under \(data)")
    #expect(s["WorkingDirectory"] == [data])
    // A deliberate halt exits 0 and must not be restarted into new runs.
    #expect(s["RestartPreventExitStatus"] == ["0"])
    #expect(!run.live, "live trading is never a default")
  }

  @Test func systemdServeUnitReadsTheSameLedger() throws {
    let unit = "deploy/systemd/wick-serve.service"
    let s = try unitSettings(unit)
    expectHardened(s, unit: unit)
    let (program, parsed) = try execStart(s, unit: unit)
    #expect(program == Self.binary)
    let serve = try #require(parsed as? ServeCommand, "\(unit) must start `wick serve`")
    let run = try #require(
      try execStart(unitSettings("deploy/systemd/wick-run@.service"), unit: "run").command
        as? RunCommand)
    #expect(serve.db == run.db)
    #expect(serve.host == "127.0.0.1", "the dashboard stays on loopback behind the unit")
  }

  /// The units themselves, checked by systemd where it is installed (`deploy/systemd/verify.sh`
  /// runs `systemd-analyze verify` in a scratch root and fails on any warning).
  @Test(
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
  func systemdAnalyzeVerifiesTheUnits() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["deploy/systemd/verify.sh"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.runWithDeadline(120)
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(output)")
  }

  /// The JSON array of a Dockerfile instruction (`ENTRYPOINT ["…"]`).
  func dockerArray(_ instruction: String, in dockerfile: String) throws -> [String] {
    let json = try #require(firstMatch(#"^\#(instruction) (\[.*\])\s*$"#, in: dockerfile)?[0])
    return try JSONDecoder().decode([String].self, from: Data(json.utf8))
  }

  @Test func dockerfileBuildsTheReleaseAndRunsItAsANonRootUser() throws {
    let dockerfile = try text("Dockerfile")
    let entrypoint = try dockerArray("ENTRYPOINT", in: dockerfile)
    #expect(entrypoint == [Self.binary])
    #expect(CommandLineText.parseFailure(try dockerArray("CMD", in: dockerfile)) == nil)
    // The runtime stage receives the binary the build stage installed.
    let copy = try #require(firstMatch(#"^COPY --from=build (\S+) (\S+)$"#, in: dockerfile))
    #expect(copy[1] == Self.binary)
    #expect(dockerfile.contains("install -D -m 0755 ") && dockerfile.contains(" \(copy[0])"))
    // The same release flags as `make release` (static Swift runtime, so the runtime stage
    // needs no toolchain).
    let makefile = try text("Makefile")
    let release = try #require(firstMatch(#"^RELEASE := (.+)$"#, in: makefile)?[0])
    let build = try #require(
      firstMatch(#"^RUN (swift build [^\\&\n]+?)\s*(\\|&&|$)"#, in: dockerfile)?[0])
    #expect(build.contains(release), "Dockerfile: `\(build)` must use the Makefile's `\(release)`")
    #expect(build.contains("--product wick"))
    let user = try #require(firstMatch(#"^USER (\S+)$"#, in: dockerfile)?[0])
    #expect(user != "root" && user != "0")
    #expect(firstMatch(#"^VOLUME (\S+)$"#, in: dockerfile)?[0] == "/data")
    #expect(
      firstMatch(#"^WORKDIR (\S+)$"#, in: dockerfile.components(separatedBy: "FROM ").last!)?[0]
        == "/data")
    // The shipped strategies and their plugins, where relative paths in the k8s Job find them.
    #expect(dockerfile.contains("COPY strategies /app/strategies"))
    #expect(dockerfile.contains("COPY plugins /app/plugins"))
    #expect(dockerfile.contains("ca-certificates"))
  }

  @Test func composeServicesParseAndShareTheImageAndTheBotFolder() throws {
    let compose = try text("deploy/compose.yaml")
    let image = try #require(firstMatch(#"^  image: (\S+)$"#, in: compose)?[0])
    // The Kubernetes Job runs the image the Dockerfile builds and compose names.
    let job = try text("deploy/k8s/optimize-job.yaml")
    let jobImages = Set(
      job.split(separator: "\n").compactMap {
        firstMatch(#"^\s+image: (\S+)$"#, in: String($0))?[0]
      })
    #expect(jobImages == [image])
    #expect(compose.contains("dockerfile: Dockerfile") && compose.contains("context: .."))
    #expect(compose.contains(":/data\n"), "the bot folder is mounted at the Dockerfile's VOLUME")

    let commands = compose.split(separator: "\n").compactMap {
      firstMatch(#"^    command: (\[.*\])$"#, in: String($0))?[0]
    }.map { try! JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    #expect(commands.count == 2)
    var parsed: [any ParsableCommand] = []
    for command in commands {
      if let failure = CommandLineText.parseFailure(command) {
        Issue.record("deploy/compose.yaml: command \(command): \(failure)")
      }
      parsed.append(try WickCommand.parseAsRoot(command))
    }
    let run = try #require(parsed.compactMap { $0 as? RunCommand }.first)
    let serve = try #require(parsed.compactMap { $0 as? ServeCommand }.first)
    #expect(run.strategy == nil && run.config?.hasPrefix("/data/") == true)
    #expect(run.db.hasPrefix("/data/") && serve.db == run.db)
    #expect(!run.live)
    // Monitoring stays optional.
    #expect(compose.contains("profiles: [monitoring]"))
  }

  /// The bot config the unit and compose start (deploy/bot/paper.toml, whose strategies/ and
  /// plugins/ link to the shipped ones) passes `wick config check` with its [[run]] entries.
  @Test func shippedBotConfigPassesConfigCheck() throws {
    var check = try WickCommand.parseAsRoot(["config", "check", "deploy/bot/paper.toml"])
    try check.run()
    let toml = try text("deploy/bot/paper.toml")
    #expect(toml.contains("[[run]]") && !toml.contains("mode = \"live\""))
  }
}
